export { Office } from './catalog.entities';
export { CatalogModule } from './catalog.module';
export { CatalogRepository, CatalogSnapshot } from './catalog.repository';
export { CatalogSeeder } from './seed/catalog-seeder';
export { SeedCommand } from './seed/seed.command';
