import { DataSource, EntityManager, EntityMetadata, EntityTarget, ObjectLiteral, QueryResult } from 'typeorm';

interface PerDataSource {
  metadata: EntityMetadata;
  selectAll: string;
  inserts: Map<string, string>;
  statements: Map<string, unknown>;
}

/**
 * Hand-written SQL for the hot paths (the webhook, the outbox), keeping TypeORM's column
 * metadata and value conversions. A query builder costs about a fifth of the CPU of a
 * webhook request (`docs/perf/README.md`); these statements are built once per data source,
 * entity and column set, then only bound. Both dialects take `?` placeholders; identifiers go
 * through the driver's own quoting.
 */
export class EntitySql<T extends ObjectLiteral> {
  // Tests run SQLite and MySQL data sources side by side: statements are per data source.
  private readonly cache = new WeakMap<DataSource, PerDataSource>();

  constructor(private readonly target: EntityTarget<T>) {}

  /** `SELECT <every column> FROM <table>`; add the WHERE clause. */
  selectAll(manager: EntityManager): string {
    return this.prepared(manager).selectAll;
  }

  /** The escaped table name and the escaped column name of a property. */
  table(manager: EntityManager): string {
    return manager.connection.driver.escape(this.metadata(manager).tableName);
  }

  column(manager: EntityManager, property: keyof T & string): string {
    return manager.connection.driver.escape(this.columnOf(manager, property).databaseName);
  }

  /** A value as the driver stores it (dates to the dialect's format, and so on). */
  value(manager: EntityManager, property: keyof T & string, value: unknown): unknown {
    return manager.connection.driver.preparePersistentValue(value, this.columnOf(manager, property));
  }

  /** A row of `selectAll` as an entity, converted as TypeORM would. */
  hydrate(manager: EntityManager, row: Record<string, unknown>): T {
    const metadata = this.metadata(manager);
    const entity = metadata.create() as T;
    for (const column of metadata.columns) {
      column.setEntityValue(entity, manager.connection.driver.prepareHydratedValue(row[column.databaseName], column));
    }
    return entity;
  }

  /**
   * The entity's properties from its metadata, less `except`: a column added to the entity is
   * in the list without anyone keeping it in step.
   */
  propertiesExcept(manager: EntityManager, except: readonly string[]): (keyof T & string)[] {
    const skipped = new Set(except);
    return this.metadata(manager)
      .columns.map((column) => column.propertyName as keyof T & string)
      .filter((property) => !skipped.has(property));
  }

  /** A statement (or anything derived from the metadata) built once per data source under `key`. */
  statement<S>(manager: EntityManager, key: string, build: () => S): S {
    const { statements } = this.prepared(manager);
    if (!statements.has(key)) statements.set(key, build());
    return statements.get(key) as S;
  }

  /** Inserts one row of the given properties; returns the generated id, if any. */
  async insert(manager: EntityManager, values: Partial<T>): Promise<number> {
    const properties = Object.keys(values) as (keyof T & string)[];
    const key = properties.join(',');
    const { inserts } = this.prepared(manager);
    let sql = inserts.get(key);
    if (!sql) {
      const columns = properties.map((property) => this.column(manager, property));
      sql = `INSERT INTO ${this.table(manager)} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
      inserts.set(key, sql);
    }
    const parameters = properties.map((property) => this.value(manager, property, values[property]));
    const result = await this.run(manager, sql, parameters);
    const raw = result.raw as { insertId?: number } | number | bigint;
    return Number(typeof raw === 'object' && raw !== null ? raw.insertId : raw);
  }

  /** Rows changed by a write statement. */
  async execute(manager: EntityManager, sql: string, parameters: unknown[]): Promise<number> {
    const result = await this.run(manager, sql, parameters);
    return result.affected ?? 0;
  }

  /** Through the query runner, whose structured result has the affected rows on both dialects. */
  private async run(manager: EntityManager, sql: string, parameters: unknown[]): Promise<QueryResult> {
    const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
    try {
      return await runner.query(sql, parameters, true);
    } finally {
      if (!manager.queryRunner) await runner.release();
    }
  }

  private metadata(manager: EntityManager): EntityMetadata {
    return this.prepared(manager).metadata;
  }

  private prepared(manager: EntityManager): PerDataSource {
    let prepared = this.cache.get(manager.connection);
    if (!prepared) {
      const metadata = manager.connection.getMetadata(this.target);
      const escape = (name: string) => manager.connection.driver.escape(name);
      const columns = metadata.columns.map((column) => escape(column.databaseName)).join(', ');
      prepared = { metadata, selectAll: `SELECT ${columns} FROM ${escape(metadata.tableName)}`, inserts: new Map(), statements: new Map() };
      this.cache.set(manager.connection, prepared);
    }
    return prepared;
  }

  private columnOf(manager: EntityManager, property: string) {
    const column = this.metadata(manager).findColumnWithPropertyName(property);
    if (!column) throw new Error(`${this.metadata(manager).name} has no column ${property}`);
    return column;
  }
}
