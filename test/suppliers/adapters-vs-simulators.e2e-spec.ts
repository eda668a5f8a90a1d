import { SupplierSimulator, SimulatedSupplier } from '@app/sandbox';
import {
  BudgetRestGateway,
  EuropcarGateway,
  HertzOtaGateway,
  SupplierBookingRequest,
  SupplierGateway,
  SupplierUnavailableError,
} from '@app/supplier-booking';

const request = (reference: string): SupplierBookingRequest => ({
  reference,
  pickup: { officeCode: 'MAD-T4', local: '2027-03-01T10:00' },
  dropoff: { officeCode: 'BCN-T1', local: '2027-03-05T10:00' },
  carCategory: 'CDMR',
  customer: { firstName: 'Ana', lastName: "O'Brien & Søn <test>", email: 'ana@example.com', phone: '+34600111222' },
  price: { amount: 18950, currency: 'EUR' },
});

const gatewayFor = (supplier: SimulatedSupplier, url: string): SupplierGateway => {
  const timeoutMs = 400;
  if (supplier === 'HERTZ') return new HertzOtaGateway({ baseUrl: url, user: 'u', password: 'p', timeoutMs });
  if (supplier === 'BUDGET') return new BudgetRestGateway({ baseUrl: url, apiKey: 'k', timeoutMs });
  return new EuropcarGateway({ baseUrl: url, apiKey: 'k', timeoutMs });
};

/** Each adapter against the simulator of its protocol, over real HTTP, faults included. */
describe.each<SimulatedSupplier>(['HERTZ', 'BUDGET', 'EUROPCAR'])('%s adapter against its simulator', (supplier) => {
  const simulator = new SupplierSimulator(supplier);
  let gateway: SupplierGateway;

  beforeAll(async () => {
    const { url } = await simulator.start();
    gateway = gatewayFor(supplier, url);
  });
  afterAll(() => simulator.stop());
  beforeEach(() => simulator.setFaults({}));

  it('books once per reference, however often asked, and finds it by lookup', async () => {
    const first = await gateway.book(request('AAAA2222'));
    expect(first).toMatchObject({ outcome: 'confirmed' });
    expect(await gateway.book(request('AAAA2222'))).toEqual(first);
    expect(await gateway.lookup('AAAA2222')).toEqual(first);
    expect(await gateway.lookup('ZZZZ9999')).toBeNull();
    expect([...simulator.bookings().keys()].filter((reference) => reference === 'AAAA2222')).toHaveLength(1);
  });

  it('rejects with the configured code, books nothing', async () => {
    simulator.setFaults({ rejectionRate: 1 });
    const answer = await gateway.book(request('BBBB2222'));
    expect(answer).toMatchObject({ outcome: 'rejected' });
    expect(simulator.bookings().has('BBBB2222')).toBe(false);
  });

  it('fails retryably on errors, books nothing', async () => {
    simulator.setFaults({ errorRate: 1 });
    await expect(gateway.book(request('CCCC2222'))).rejects.toBeInstanceOf(SupplierUnavailableError);
    expect(simulator.bookings().has('CCCC2222')).toBe(false);
  });

  it('timeout: no answer and no booking; the adapter calls it ambiguous', async () => {
    simulator.setFaults({ timeoutRate: 1, holdMs: 1000 });
    await expect(gateway.book(request('FFFF2222'))).rejects.toMatchObject({ ambiguous: true });
    expect(simulator.bookings().has('FFFF2222')).toBe(false);
  });

  it('commit-then-timeout: the answer is lost but the booking exists, and lookup finds it', async () => {
    simulator.setFaults({ commitThenTimeoutRate: 1, holdMs: 1000 });
    await expect(gateway.book(request('DDDD2222'))).rejects.toMatchObject({ ambiguous: true });
    simulator.setFaults({});
    const found = await gateway.lookup('DDDD2222');
    expect(found).toEqual({ outcome: 'confirmed', confirmationNumber: simulator.bookings().get('DDDD2222') });
  });

  it('adds latency on request', async () => {
    simulator.setFaults({ latencyMs: 150 });
    const started = Date.now();
    await gateway.book(request('EEEE2222'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});
