import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { SupplierSimulator } from '@app/sandbox';
import {
  maskPersonalData,
  SupplierBookingClient,
  SupplierBookingRequest,
  SupplierGatewayRegistry,
  SuppliersConfig,
} from '@app/supplier-booking';
import { waitForProgress } from '../support/wait-for-progress';

const CUSTOMER = {
  firstName: 'Zoë',
  lastName: "O'Brien & Søn <test>",
  email: 'zoe.obrien@example.com',
  phone: '+34600111222',
};

const request = (reference: string): SupplierBookingRequest => ({
  reference,
  pickup: { officeCode: 'MAD-T4', local: '2027-03-01T10:00' },
  dropoff: { officeCode: 'BCN-T1', local: '2027-03-05T10:00' },
  carCategory: 'CDMR',
  customer: CUSTOMER,
  price: { amount: 18950, currency: 'EUR' },
});

/** The resilience policies (cockatiel) around the real adapters, against the simulators over HTTP. */
describe('supplier booking client: timeout, retry, lookup before rebooking, circuit breaker', () => {
  const simulators = {
    HERTZ: new SupplierSimulator('HERTZ'),
    BUDGET: new SupplierSimulator('BUDGET'),
    EUROPCAR: new SupplierSimulator('EUROPCAR'),
  };
  let gateways: SupplierGatewayRegistry;
  let reference = 1000;
  const nextReference = () => `REF${String(reference++).padStart(5, '0')}`;
  const client = (breaker = { failures: 100, halfOpenAfterMs: 200 }, timeoutMs = 250) =>
    new SupplierBookingClient(gateways, { timeoutMs, breaker, inCallRetries: 2 });

  beforeAll(async () => {
    const urls = await Promise.all(Object.values(simulators).map((simulator) => simulator.start()));
    gateways = new SupplierGatewayRegistry({
      hertz: { baseUrl: urls[0].url, user: 'u', password: 'p' },
      budget: { baseUrl: urls[1].url, apiKey: 'k' },
      europcar: { baseUrl: urls[2].url, apiKey: 'k' },
      timeoutMs: 250,
    } as SuppliersConfig);
  });
  afterAll(() => Promise.all(Object.values(simulators).map((simulator) => simulator.stop())));
  beforeEach(() => Object.values(simulators).forEach((simulator) => simulator.setFaults({ holdMs: 2000 })));

  it.each(['HERTZ', 'BUDGET', 'EUROPCAR'] as const)(
    '%s: a booking kept by the supplier whose answer never came is found by lookup, not booked twice',
    async (supplier) => {
      const simulator = simulators[supplier];
      simulator.setFaults({ commitThenTimeoutRate: 1, holdMs: 2000 });
      const ref = nextReference();
      const pending = client().book(supplier, request(ref), { lookupFirst: false });
      // The first try books and hangs; from the second try on, the supplier answers again.
      await waitForProgress({
        what: `${supplier} booking ${ref}`,
        progress: async () => ({ requests: simulator.requests, booked: simulator.bookings().has(ref) }),
        done: ({ booked }) => booked,
        pollMs: 10,
      });
      simulator.setFaults({ holdMs: 2000 });
      const run = await pending;

      expect(run.result).toEqual({ outcome: 'confirmed', confirmationNumber: simulator.bookings().get(ref) });
      expect(run.calls.map((call) => `${call.operation}:${call.outcome}`)).toEqual([
        'book:timeout',
        'lookup:confirmed',
      ]);
      expect(simulator.requests).toBeGreaterThanOrEqual(1);
      expect([...simulator.bookings().keys()].filter((key) => key === ref)).toHaveLength(1);
    },
  );

  it.each(['HERTZ', 'BUDGET', 'EUROPCAR'] as const)(
    "%s: a slow lookup does not eat the booking's time: each call has a timeout of its own",
    async (supplier) => {
      const simulator = simulators[supplier];
      // Each call takes about 70% of the timeout: both fit their own, not one shared between them.
      simulator.setFaults({ lookupLatencyMs: 700, bookLatencyMs: 700, holdMs: 2000 });
      const ref = nextReference();
      const run = await client(undefined, 1000).book(supplier, request(ref), { lookupFirst: true });

      expect(run.calls.map((call) => `${call.operation}:${call.outcome}`)).toEqual(['lookup:not_found', 'book:confirmed']);
      expect(run.result).toEqual({ outcome: 'confirmed', confirmationNumber: simulator.bookings().get(ref) });
    },
  );

  it('retries a blip within the call, and reports a lasting outage as unavailable after three tries', async () => {
    const simulator = simulators.BUDGET;
    simulator.setFaults({ errorRate: 1 });
    const ref = nextReference();
    const run = await client().book('BUDGET', request(ref), { lookupFirst: false });
    expect(run.result).toMatchObject({ outcome: 'unavailable' });
    // A 503 is ambiguous (the supplier may have booked): each retry looks up first.
    expect(run.calls.map((call) => `${call.operation}:${call.outcome}`)).toEqual([
      'book:unavailable',
      'lookup:not_found',
      'book:unavailable',
      'lookup:not_found',
      'book:unavailable',
    ]);
    expect(simulator.bookings().has(ref)).toBe(false);
  });

  it('takes a rejection as an answer: no retry, and it does not count against the supplier', async () => {
    const simulator = simulators.EUROPCAR;
    simulator.setFaults({ rejectionRate: 1 });
    const breakerOfTwo = client({ failures: 2, halfOpenAfterMs: 60_000 });
    for (let i = 0; i < 4; i++) {
      const run = await breakerOfTwo.book('EUROPCAR', request(nextReference()), { lookupFirst: false });
      expect(run.result).toMatchObject({ outcome: 'rejected', code: 'STATION_CLOSED' });
      expect(run.calls).toHaveLength(1);
    }
    expect(breakerOfTwo.circuitStates().EUROPCAR).toBe('closed');
  });

  it('opens the circuit after consecutive failures, fails fast while open, and closes after a good probe', async () => {
    const simulator = simulators.HERTZ;
    const guarded = client({ failures: 3, halfOpenAfterMs: 300 });
    simulator.setFaults({ errorRate: 1 });
    const failing = await guarded.book('HERTZ', request(nextReference()), { lookupFirst: false });
    expect(failing.result).toMatchObject({ outcome: 'unavailable' });
    expect(guarded.circuitStates().HERTZ).toBe('open');

    const before = simulator.requests;
    const refused = await guarded.book('HERTZ', request(nextReference()), { lookupFirst: false });
    expect(refused.result).toMatchObject({
      outcome: 'unavailable',
      error: expect.stringContaining('circuit open'),
    });
    expect(refused.calls.map((call) => call.outcome)).toEqual(['circuit_open']);
    expect(simulator.requests).toBe(before);
    // Other suppliers are not affected.
    expect(guarded.circuitStates().BUDGET).toBe('closed');

    simulator.setFaults({});
    await new Promise((resolve) => setTimeout(resolve, 350));
    const ref = nextReference();
    const recovered = await guarded.book('HERTZ', request(ref), { lookupFirst: false });
    expect(recovered.result).toEqual({
      outcome: 'confirmed',
      confirmationNumber: simulator.bookings().get(ref),
    });
    expect(guarded.circuitStates().HERTZ).toBe('closed');
  });

  it('honours a long Retry-After: no retry within the call, the wait handed to the scheduled retry', async () => {
    let calls = 0;
    const throttling = createServer((req, res) => {
      calls++;
      res
        .writeHead(429, { 'Retry-After': '120', 'Content-Type': 'application/json' })
        .end('{"error":"rate_limited"}');
    });
    await new Promise<void>((resolve) => throttling.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(throttling.address() as AddressInfo).port}`;
      const throttled = new SupplierBookingClient(
        new SupplierGatewayRegistry({
          hertz: { baseUrl: url, user: 'u', password: 'p' },
          budget: { baseUrl: url, apiKey: 'k' },
          europcar: { baseUrl: url, apiKey: 'k' },
          timeoutMs: 250,
        } as SuppliersConfig),
        { timeoutMs: 250, breaker: { failures: 100, halfOpenAfterMs: 200 }, inCallRetries: 2 },
      );
      const run = await throttled.book('BUDGET', request(nextReference()), { lookupFirst: false });
      expect(run.result).toMatchObject({ outcome: 'unavailable', retryAfterMs: 120_000 });
      expect(calls).toBe(1);
    } finally {
      await new Promise((resolve) => throttling.close(resolve));
    }
  });

  it('records the wire exchange, and masking leaves no personal data in it, however escaped', async () => {
    const ref = nextReference();
    const run = await client().book('HERTZ', request(ref), { lookupFirst: false });
    const sent = run.calls[0].exchange!.requestBody!;
    expect(sent).toContain('<Surname>O&apos;Brien &amp; Søn &lt;test&gt;</Surname>');
    const personal = [
      CUSTOMER.firstName,
      CUSTOMER.lastName,
      `${CUSTOMER.firstName} ${CUSTOMER.lastName}`,
      CUSTOMER.email,
      CUSTOMER.phone,
    ];
    const masked = maskPersonalData(sent, personal)!;
    for (const fragment of ['Zoë', 'Brien', 'Søn', 'zoe.obrien', '600111222'])
      expect(masked).not.toContain(fragment);
    expect(masked).toContain(ref);
    expect(masked).toContain('MAD-T4');
    const json = maskPersonalData(JSON.stringify(request(ref)), personal)!;
    for (const fragment of ['Zoë', 'Brien', 'zoe.obrien', '600111222']) expect(json).not.toContain(fragment);
  });
});
