export * from './catalog.entities';
export * from './catalog.module';
export * from './catalog.repository';
export * from './seed/catalog-seeder';
export * from './seed/seed.command';
