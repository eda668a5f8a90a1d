import request from 'supertest';
import { CatalogSeeder } from '@app/catalog';
import { startTestApp, TestApp } from '../support/test-app';
import { DATABASE_KINDS } from '../support/test-database';

describe.each(DATABASE_KINDS)('reference data on %s', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => {
    await t.close();
  });

  it('lists the three suppliers with their currencies', async () => {
    const response = await request(t.server).get('/api/v1/suppliers').expect(200);
    expect(response.body.map((s: { code: string }) => s.code)).toEqual(['BUDGET', 'EUROPCAR', 'HERTZ']);
    expect(response.body.find((s: { code: string }) => s.code === 'HERTZ').currencies).toEqual(
      expect.arrayContaining(['EUR', 'USD']),
    );
  });

  it('ships a realistic seed: ≥ 8 offices per supplier over ≥ 4 countries and ≥ 3 time zones, ≥ 10 categories', async () => {
    for (const supplier of ['HERTZ', 'BUDGET', 'EUROPCAR']) {
      const offices = (await request(t.server).get('/api/v1/offices').query({ supplier }).expect(200)).body as {
        supplier_code: string;
        country: string;
        time_zone: string;
      }[];
      expect(offices.length).toBeGreaterThanOrEqual(8);
      expect(offices.every((office) => office.supplier_code === supplier)).toBe(true);
      expect(new Set(offices.map((office) => office.country)).size).toBeGreaterThanOrEqual(4);
      expect(new Set(offices.map((office) => office.time_zone)).size).toBeGreaterThanOrEqual(3);
    }
    const categories = await request(t.server).get('/api/v1/car-categories').expect(200);
    expect(categories.body.length).toBeGreaterThanOrEqual(10);
  });

  it('filters categories by supplier, in any case, and refuses an unknown supplier', async () => {
    const europcar = await request(t.server).get('/api/v1/car-categories').query({ supplier: 'europcar' }).expect(200);
    expect(europcar.body.map((c: { code: string }) => c.code)).toContain('MBMR');
    const hertz = await request(t.server).get('/api/v1/car-categories').query({ supplier: 'HERTZ' }).expect(200);
    expect(hertz.body.map((c: { code: string }) => c.code)).not.toContain('MBMR');
    const unknown = await request(t.server).get('/api/v1/offices').query({ supplier: 'SIXT' }).expect(422);
    expect(unknown.body.code).toBe('CATALOG.SUPPLIER_NOT_FOUND');
  });

  it('seeds idempotently: a second run changes no counts', async () => {
    const count = async () => {
      const rows: { n: number | string }[] = [];
      for (const table of ['suppliers', 'offices', 'car_categories', 'supplier_car_categories', 'supplier_currencies']) {
        rows.push(...(await t.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`)));
      }
      return rows.map((row) => Number(row.n));
    };
    const before = await count();
    const steps: string[] = [];
    await t.app.get(CatalogSeeder).seed((step) => steps.push(step));
    expect(await count()).toEqual(before);
    expect(steps).toEqual(['suppliers', 'car categories', 'offices', 'supplier car categories', 'supplier currencies']);
  });
});
