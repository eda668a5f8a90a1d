import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CarCategory, Office, Supplier, SupplierCarCategory, SupplierCurrency } from './catalog.entities';

/** All reference data at one instant; small enough (hundreds of rows) to hold in memory. */
export class CatalogSnapshot {
  private readonly suppliers = new Map<string, Supplier>();
  private readonly offices = new Map<string, Office>();
  private readonly officeSuppliers = new Map<string, string[]>();
  private readonly categories = new Map<string, CarCategory>();
  private readonly offered = new Set<string>();
  private readonly currencies = new Map<string, string[]>();

  constructor(data: {
    suppliers: Supplier[];
    offices: Office[];
    categories: CarCategory[];
    supplierCategories: SupplierCarCategory[];
    supplierCurrencies: SupplierCurrency[];
  }) {
    for (const supplier of data.suppliers) this.suppliers.set(supplier.code, supplier);
    for (const office of data.offices) {
      this.offices.set(`${office.supplierCode}/${office.code}`, office);
      this.officeSuppliers.set(office.code, [...(this.officeSuppliers.get(office.code) ?? []), office.supplierCode]);
    }
    for (const category of data.categories) this.categories.set(category.code, category);
    for (const link of data.supplierCategories) this.offered.add(`${link.supplierCode}/${link.carCategoryCode}`);
    for (const link of data.supplierCurrencies) {
      this.currencies.set(link.supplierCode, [...(this.currencies.get(link.supplierCode) ?? []), link.currency]);
    }
  }

  listSuppliers(): Supplier[] {
    return [...this.suppliers.values()].sort((a, b) => a.code.localeCompare(b.code));
  }

  supplier(code: string): Supplier | undefined {
    return this.suppliers.get(code);
  }

  office(supplierCode: string, officeCode: string): Office | undefined {
    return this.offices.get(`${supplierCode}/${officeCode}`);
  }

  /** Suppliers that have an office with this code (to tell "unknown" from "another supplier's"). */
  suppliersWithOffice(officeCode: string): string[] {
    return this.officeSuppliers.get(officeCode) ?? [];
  }

  listOffices(supplierCode?: string): Office[] {
    return [...this.offices.values()]
      .filter((office) => supplierCode === undefined || office.supplierCode === supplierCode)
      .sort((a, b) => a.supplierCode.localeCompare(b.supplierCode) || a.code.localeCompare(b.code));
  }

  carCategory(code: string): CarCategory | undefined {
    return this.categories.get(code);
  }

  listCarCategories(supplierCode?: string): CarCategory[] {
    return [...this.categories.values()]
      .filter((category) => supplierCode === undefined || this.offers(supplierCode, category.code))
      .sort((a, b) => a.code.localeCompare(b.code));
  }

  offers(supplierCode: string, carCategoryCode: string): boolean {
    return this.offered.has(`${supplierCode}/${carCategoryCode}`);
  }

  currenciesOf(supplierCode: string): string[] {
    return [...(this.currencies.get(supplierCode) ?? [])].sort();
  }
}

const CACHE_TTL_MS = 30_000;

/**
 * Reads the reference data. Every reservation validates against it, so it is cached for a
 * short while: a change made by `npm run seed` shows within 30 s on every process.
 */
@Injectable()
export class CatalogRepository {
  private cached?: { snapshot: Promise<CatalogSnapshot>; loadedAt: number };

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  snapshot(): Promise<CatalogSnapshot> {
    const now = Date.now();
    if (!this.cached || now - this.cached.loadedAt > CACHE_TTL_MS) {
      const snapshot = this.load();
      this.cached = { snapshot, loadedAt: now };
      // A failed load must not be cached.
      snapshot.catch(() => (this.cached = undefined));
    }
    return this.cached.snapshot;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  private async load(): Promise<CatalogSnapshot> {
    const manager = this.dataSource.manager;
    const [suppliers, offices, categories, supplierCategories, supplierCurrencies] = await Promise.all([
      manager.find(Supplier),
      manager.find(Office),
      manager.find(CarCategory),
      manager.find(SupplierCarCategory),
      manager.find(SupplierCurrency),
    ]);
    return new CatalogSnapshot({ suppliers, offices, categories, supplierCategories, supplierCurrencies });
  }
}
