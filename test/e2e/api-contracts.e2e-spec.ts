import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { progressOf, ReservationStatus } from '@app/reservations';
import { startTestApp, TestApp } from '../support/test-app';

const CONTRACTS_FILE = join(__dirname, '..', '..', 'docs', 'api-contracts.md');
/** The one table this test reads; routes outside the OpenAPI document sit in a later section. */
const TABLE_HEADING = '## Routes in the OpenAPI document';
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace']);

interface DocumentedRoute {
  key: string;
  success: string;
  bearer: boolean;
}

interface Operation {
  responses?: Record<string, unknown>;
  security?: Record<string, unknown>[];
}

/** The rows of the first table under TABLE_HEADING, read by their column names. */
function documentedRoutes(markdown: string): DocumentedRoute[] {
  const lines = markdown.split('\n').map((line) => line.trim());
  const start = lines.indexOf(TABLE_HEADING);
  if (start < 0) throw new Error(`${CONTRACTS_FILE} has no "${TABLE_HEADING}" section`);
  const table: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('#')) break;
    if (!line.startsWith('|')) {
      if (table.length > 0) break;
      continue;
    }
    table.push(line.replace(/^\||\|$/g, '').split('|').map((cell) => cell.trim()));
  }
  const [header, , ...rows] = table;
  const column = (name: string): number => {
    const index = header?.findIndex((cell) => cell.toLowerCase().startsWith(name)) ?? -1;
    if (index < 0) throw new Error(`the table under "${TABLE_HEADING}" has no "${name}" column`);
    return index;
  };
  const [method, path, success, auth] = ['method', 'path', 'success', 'auth'].map(column);
  return rows.map((cells) => ({
    key: `${cells[method].toUpperCase()} ${cells[path].replace(/`/g, '')}`,
    success: /\b[1-5]\d\d\b/.exec(cells[success])?.[0] ?? `(no status in "${cells[success]}")`,
    bearer: /bearer/i.test(cells[auth]),
  }));
}

/**
 * docs/api-contracts.md against the live OpenAPI document: the same (METHOD, path) pairs, each
 * documented success status among the operation's responses, and bearer auth where the
 * document asks for it. A route added to the code fails this test until its row is written.
 */
describe('docs/api-contracts.md matches the OpenAPI document (sqlite)', () => {
  let t: TestApp | undefined;
  let operations: Map<string, Operation>;
  let schemas: Record<string, { properties?: Record<string, { enum?: string[] }> }>;
  const documented = documentedRoutes(readFileSync(CONTRACTS_FILE, 'utf8'));

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    const { body } = await request(t.server).get('/docs-json').expect(200);
    const paths = body.paths as Record<string, Record<string, Operation>>;
    schemas = body.components.schemas;
    operations = new Map(
      Object.entries(paths).flatMap(([path, item]) =>
        Object.entries(item)
          .filter(([method]) => HTTP_METHODS.has(method))
          .map(([method, operation]): [string, Operation] => [`${method.toUpperCase()} ${path}`, operation]),
      ),
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lists every route of the document once, and no other', () => {
    const keys = documented.map((route) => route.key);
    expect(keys.filter((key, index) => keys.indexOf(key) !== index)).toEqual([]);
    expect({
      missingFromTable: [...operations.keys()].filter((key) => !keys.includes(key)).sort(),
      notInDocument: keys.filter((key) => !operations.has(key)).sort(),
    }).toEqual({ missingFromTable: [], notInDocument: [] });
  });

  it('documents a success status that the operation declares', () => {
    const wrong = documented
      .filter((route) => operations.has(route.key))
      .filter((route) => !Object.keys(operations.get(route.key)!.responses ?? {}).includes(route.success))
      .map((route) => `${route.key}: ${route.success} not in [${Object.keys(operations.get(route.key)!.responses ?? {}).join(', ')}]`);
    expect(wrong).toEqual([]);
  });

  it('lists in progress.payment and progress.supplier every value a reservation can show', () => {
    const shown = Object.values(ReservationStatus).flatMap((status) => [false, true].map((supplierRejected) => progressOf(status, { supplierRejected })));
    const { payment, supplier } = schemas.ProgressView.properties!;
    expect([...new Set(shown.map((progress) => progress.payment))].filter((value) => !payment.enum!.includes(value))).toEqual([]);
    expect([...new Set(shown.map((progress) => progress.supplier))].filter((value) => !supplier.enum!.includes(value))).toEqual([]);
    expect(supplier.enum).toEqual(['pending', 'confirmed', 'retrying', 'rejected', 'cancelled']);
  });

  it('says "bearer" exactly where the document asks for the bearer token', () => {
    const wrong = documented
      .filter((route) => operations.has(route.key))
      .filter((route) => route.bearer !== (operations.get(route.key)!.security ?? []).some((scheme) => 'bearer' in scheme))
      .map((route) => route.key);
    expect(wrong).toEqual([]);
  });
});
