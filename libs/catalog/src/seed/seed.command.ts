import { Command, CommandRunner } from 'nest-commander';
import { CatalogSeeder } from './catalog-seeder';

@Command({ name: 'seed', description: 'Load the reference data (suppliers, offices, car categories): an idempotent upsert' })
export class SeedCommand extends CommandRunner {
  constructor(private readonly seeder: CatalogSeeder) {
    super();
  }

  async run(): Promise<void> {
    process.stdout.write('Seeding reference data…\n');
    await this.seeder.seed((step, count) => process.stdout.write(`  ✔ ${step}: ${count} upserted\n`));
    process.stdout.write('Done.\n');
  }
}
