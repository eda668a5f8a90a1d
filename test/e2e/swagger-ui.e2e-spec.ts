import { existsSync } from 'node:fs';
import { Browser, chromium, Page } from 'playwright-core';
import request from 'supertest';
import { Reservation } from '@app/reservations';
import { aKey, localAt } from '../support/builders';
import { startTestApp, TestApp } from '../support/test-app';

const CHROMIUM = '/usr/bin/chromium';
// Two busy cores: a cold Chromium and Swagger UI's first render can take many seconds.
const STEP_MS = 60_000;

describe('Swagger UI in a real browser (chromium, sqlite)', () => {
  let t: TestApp | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    // Never skip: a machine without the browser must fail and say how to get it.
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing; install it: apt-get update && apt-get install -y chromium`);
    }
    t = await startTestApp('sqlite');
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.server.address() as { port: number }).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking'],
      timeout: STEP_MS,
    });
    page = await browser.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.setDefaultNavigationTimeout(STEP_MS);
  }, 3 * STEP_MS);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, STEP_MS);

  it('creates a reservation with "Try it out" on POST /api/v1/reservations and shows the 202', async () => {
    await page.goto(`${base}/docs`);
    const operation = page.locator('#operations-reservations-CreateReservationController_create');
    await operation.locator('.opblock-summary-control').click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation.getByRole('button', { name: 'Execute' }).waitFor();

    // One field for the key: two (say `idempotency-key` and `Idempotency-Key`) would both be
    // required, and the browser would join them into "k, k", which the API rejects with a 400.
    const headerRows = await operation.locator('tr[data-param-in="header"]').all();
    const headerNames = await Promise.all(headerRows.map((row) => row.getAttribute('data-param-name')));
    expect(headerNames).toEqual(['Idempotency-Key']);
    const key = aKey();
    await operation.locator('tr[data-param-name="Idempotency-Key"] input').fill(key);

    // Swagger UI fills the body from the document's examples. Their fixed dates would fail this
    // test on the day they pass, so only the dates are moved; every other field is the example's.
    const bodyField = operation.locator('textarea.body-param__text');
    const body = JSON.parse(await bodyField.inputValue());
    expect(body).toMatchObject({ supplier_code: 'HERTZ', pickup: { office_code: 'MAD-T4' }, dropoff: { office_code: 'BCN-T1' } });
    body.pickup.at = localAt(30);
    body.dropoff.at = localAt(34);
    await bodyField.fill(JSON.stringify(body, null, 2));

    await operation.getByRole('button', { name: 'Execute' }).click();
    const liveResponse = operation.locator('.live-responses-table tbody .response');
    await liveResponse.waitFor();
    const shown = {
      status: (await liveResponse.locator('.response-col_status').innerText()).trim(),
      body: JSON.parse(await liveResponse.locator('.highlight-code pre').innerText()),
    };
    // Stripe is unreachable in tests, so the reservation is accepted without a payment yet.
    expect(shown).toMatchObject({ status: '202', body: { reservation_code: expect.stringMatching(/^[A-Z0-9]{8}$/), payment: null } });

    const code: string = shown.body.reservation_code;
    const stored = await t!.dataSource.getRepository(Reservation).findOneByOrFail({ code });
    expect(stored).toMatchObject({ idempotencyKey: key, customerEmail: body.customer.email, pickupLocal: body.pickup.at });
    const lookup = await request(base).get(`/api/v1/reservations/${code}`).query({ email: body.customer.email }).expect(200);
    expect(lookup.body).toMatchObject({ reservation_code: code, car_category: body.car_category, price: body.price });
  }, 5 * STEP_MS);
});
