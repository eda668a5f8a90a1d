import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CATALOG_ENTITIES } from './catalog.entities';
import { CatalogRepository } from './catalog.repository';
import { ListReferenceDataController } from './list-reference-data/list-reference-data.controller';
import { CatalogSeeder } from './seed/catalog-seeder';

/** Reference data: suppliers, offices, car categories, currencies. */
@Module({
  imports: [TypeOrmModule.forFeature(CATALOG_ENTITIES)],
  controllers: [ListReferenceDataController],
  providers: [CatalogRepository, CatalogSeeder],
  exports: [CatalogRepository, CatalogSeeder],
})
export class CatalogModule {}
