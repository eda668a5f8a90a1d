import { Injectable, Logger } from '@nestjs/common';
import { retryLostRaces, TransactionRunner } from '@app/core';
import { EntityManager } from 'typeorm';
import { CarCategory, Office, Supplier, SupplierCarCategory, SupplierCurrency } from '../catalog.entities';
import { CatalogRepository } from '../catalog.repository';
import { CAR_CATEGORIES, LOCATIONS, SUPPLIERS } from './reference-data';

export type SeedProgress = (step: string, count: number) => void;

/** Loads the shipped reference data: an idempotent upsert, safe to run any number of times. */
@Injectable()
export class CatalogSeeder {
  private readonly logger = new Logger(CatalogSeeder.name);

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly catalog: CatalogRepository,
  ) {}

  async seed(progress: SeedProgress = () => undefined): Promise<void> {
    // Processes started together (a cluster's first start) seed at once: a deadlock loser runs again.
    await retryLostRaces.execute(() =>
      this.transactions.run(async (manager) => {
        await manager.upsert(Supplier, SUPPLIERS.map(({ code, name }) => ({ code, name, active: true })), ['code']);
        progress('suppliers', SUPPLIERS.length);

        await manager.upsert(CarCategory, CAR_CATEGORIES, ['code']);
        progress('car categories', CAR_CATEGORIES.length);

        const offices = SUPPLIERS.flatMap((supplier) =>
          supplier.offices.map(({ code, active }) => {
            const location = LOCATIONS.find((candidate) => candidate.code === code);
            if (!location) throw new Error(`Seed data: office ${code} of ${supplier.code} has no location`);
            return { ...location, supplierCode: supplier.code, active: active ?? true };
          }),
        );
        await manager
          .createQueryBuilder()
          .insert()
          .into(Office)
          .values(offices)
          .orUpdate(['name', 'city', 'country', 'time_zone', 'active'], ['supplier_code', 'code'])
          // Generated ids of updated rows are unknown: do not try to read them back.
          .updateEntity(false)
          .execute();
        progress('offices', offices.length);

        const categories = SUPPLIERS.flatMap((s) => s.carCategories.map((c) => ({ supplierCode: s.code, carCategoryCode: c })));
        await insertIgnoringDuplicates(manager, SupplierCarCategory, categories);
        progress('supplier car categories', categories.length);

        const currencies = SUPPLIERS.flatMap((s) => s.currencies.map((currency) => ({ supplierCode: s.code, currency })));
        await insertIgnoringDuplicates(manager, SupplierCurrency, currencies);
        progress('supplier currencies', currencies.length);
      }),
    );
    this.catalog.invalidate();
  }

  /** Seeds an empty database (the embedded default's first start); leaves a seeded one alone. */
  async seedIfEmpty(): Promise<boolean> {
    const suppliers = await this.transactions.run((manager) => manager.count(Supplier));
    if (suppliers > 0) return false;
    await this.seed();
    this.logger.log('reference data loaded into the empty database');
    return true;
  }
}

async function insertIgnoringDuplicates<T extends object>(
  manager: EntityManager,
  entity: new () => T,
  rows: T[],
): Promise<void> {
  await manager.createQueryBuilder().insert().into(entity).values(rows).orIgnore().updateEntity(false).execute();
}
