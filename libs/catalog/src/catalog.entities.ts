import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** A rental company we book with; its code picks the adapter that speaks its protocol. */
@Entity({ name: 'suppliers' })
export class Supplier {
  @PrimaryColumn({ type: 'varchar', length: 16 })
  code!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'boolean', default: true })
  active!: boolean;
}

/** A supplier's rental office. `code` is the supplier's location code, unique per supplier. */
@Entity({ name: 'offices' })
@Unique('UQ_offices_supplier_code', ['supplierCode', 'code'])
export class Office {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'supplier_code', type: 'varchar', length: 16 })
  supplierCode!: string;

  @Column({ type: 'varchar', length: 16 })
  code!: string;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @Column({ type: 'varchar', length: 80 })
  city!: string;

  /** ISO 3166-1 alpha-2. */
  @Column({ type: 'varchar', length: 2 })
  country!: string;

  /** IANA time zone: pickup and dropoff times are the office's wall-clock time. */
  @Column({ name: 'time_zone', type: 'varchar', length: 64 })
  timeZone!: string;

  @Column({ type: 'boolean', default: true })
  active!: boolean;
}

/** An ACRISS (SIPP) car category, for example CDMR: compact, 4/5 doors, manual, air. */
@Entity({ name: 'car_categories' })
export class CarCategory {
  @PrimaryColumn({ type: 'varchar', length: 4 })
  code!: string;

  @Column({ type: 'varchar', length: 120 })
  description!: string;
}

@Entity({ name: 'supplier_car_categories' })
export class SupplierCarCategory {
  @PrimaryColumn({ name: 'supplier_code', type: 'varchar', length: 16 })
  supplierCode!: string;

  @PrimaryColumn({ name: 'car_category_code', type: 'varchar', length: 4 })
  carCategoryCode!: string;
}

/** ISO 4217 currencies a supplier accepts. */
@Entity({ name: 'supplier_currencies' })
export class SupplierCurrency {
  @PrimaryColumn({ name: 'supplier_code', type: 'varchar', length: 16 })
  supplierCode!: string;

  @PrimaryColumn({ type: 'varchar', length: 3 })
  currency!: string;
}

export const CATALOG_ENTITIES = [Supplier, Office, CarCategory, SupplierCarCategory, SupplierCurrency];
