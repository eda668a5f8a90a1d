import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { CatalogSeeder } from '@app/catalog';
import { databaseConfig, DatabaseConfig } from '@app/core';

/** Loads the reference data into an empty embedded database, so that `npm start` is usable at once. */
@Injectable()
export class FirstStartSeeding implements OnApplicationBootstrap {
  constructor(
    private readonly seeder: CatalogSeeder,
    @Inject(databaseConfig.KEY) private readonly database: DatabaseConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.database.seedOnStart) await this.seeder.seedIfEmpty();
  }
}
