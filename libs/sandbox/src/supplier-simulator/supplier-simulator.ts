import { randomInt } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { hang, readBody, SandboxHttpServer } from '../http-server';

export type SimulatedSupplier = 'HERTZ' | 'BUDGET' | 'EUROPCAR';

/** Faults, switchable at run time; rates are probabilities from 0 to 1, drawn per booking. */
export interface SupplierFaults {
  /** Answer 503 without booking. */
  errorRate: number;
  /** Hold the request without booking, then cut the socket. */
  timeoutRate: number;
  /** Book, then hold and cut: the booking exists but no answer comes. */
  commitThenTimeoutRate: number;
  /** Refuse with `rejectionCode` (non-retryable). */
  rejectionRate: number;
  rejectionCode?: string;
  /** Added to every answer. */
  latencyMs: number;
  /** Added to lookups only (a slow search on the supplier's side), on top of `latencyMs`. */
  lookupLatencyMs: number;
  /** Added to booking requests only, on top of `latencyMs`. */
  bookLatencyMs: number;
  /** How long a timeout holds the request before cutting it. */
  holdMs: number;
}

const NO_FAULTS: SupplierFaults = {
  errorRate: 0,
  timeoutRate: 0,
  commitThenTimeoutRate: 0,
  rejectionRate: 0,
  latencyMs: 0,
  lookupLatencyMs: 0,
  bookLatencyMs: 0,
  holdMs: 30_000,
};

const DEFAULT_REJECTION: Record<SimulatedSupplier, string> = {
  HERTZ: 'CATEGORY_UNAVAILABLE',
  BUDGET: 'vehicle_unavailable',
  EUROPCAR: 'STATION_CLOSED',
};

const OTA_NS = 'http://www.opentravel.org/OTA/2003/05';
const xmlBuilder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true });
// Text as sent: a name such as "007" stays a string.
const xmlParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', removeNSPrefix: true, parseTagValue: false });

type Decision = 'book' | 'error' | 'timeout' | 'commit_then_timeout' | 'reject';

/**
 * A supplier as its wire protocol describes it (`../shared/suppliers/README.md`), over real
 * HTTP: idempotent on our reference, with a lookup, and with faults for chaos tests.
 */
export class SupplierSimulator {
  private readonly http = new SandboxHttpServer((req, res) => this.route(req, res));
  private readonly bookingsByReference = new Map<string, string>();
  private readonly rejectedReferences = new Set<string>();
  private readonly driversByReference = new Map<string, string>();
  private faults: SupplierFaults = { ...NO_FAULTS };
  /** While set, requests wait for it before they are handled (see `pause`). */
  private gate: Promise<void> | null = null;
  /** Booking requests received, all outcomes included (counted once answered or faulted). */
  requests = 0;
  /** HTTP requests of any kind, counted on arrival (before any added latency). */
  received = 0;

  constructor(readonly supplier: SimulatedSupplier) {}

  start(port = 0, host = '127.0.0.1'): Promise<{ url: string; port: number }> {
    return this.http.start(port, host);
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  setFaults(faults: Partial<SupplierFaults>): void {
    this.faults = { ...NO_FAULTS, ...faults };
  }

  /** References refused with a rejection (and never booked). */
  rejected(): Set<string> {
    return new Set(this.rejectedReferences);
  }

  /** Our reference → the supplier's confirmation number: exactly one per reference. */
  bookings(): Map<string, string> {
    return new Map(this.bookingsByReference);
  }

  /** Our reference → the driver's name as the supplier read it (HERTZ, from the OTA XML). */
  drivers(): Map<string, string> {
    return new Map(this.driversByReference);
  }

  private decide(): Decision {
    const roll = Math.random();
    const { errorRate, timeoutRate, commitThenTimeoutRate, rejectionRate } = this.faults;
    if (roll < errorRate) return 'error';
    if (roll < errorRate + timeoutRate) return 'timeout';
    if (roll < errorRate + timeoutRate + commitThenTimeoutRate) return 'commit_then_timeout';
    if (roll < errorRate + timeoutRate + commitThenTimeoutRate + rejectionRate) return 'reject';
    return 'book';
  }

  private book(reference: string): string {
    const existing = this.bookingsByReference.get(reference);
    if (existing) return existing;
    const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');
    const number = this.supplier === 'HERTZ' ? `H${digits(7)}` : this.supplier === 'BUDGET' ? `B-${digits(8)}` : `EC${digits(10)}`;
    this.bookingsByReference.set(reference, number);
    return number;
  }

  /**
   * Holds every request that arrives from now on until the returned function is called: a
   * supplier busy for exactly as long as a test needs (a booking in flight while an operator acts).
   */
  pause(): () => void {
    let release!: () => void;
    this.gate = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.gate = null;
      release();
    };
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.received++;
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://simulator');
    if (url.pathname === '/sandbox/faults' && req.method === 'POST') {
      this.setFaults(JSON.parse(body || '{}') as Partial<SupplierFaults>);
      return reply(res, 200, 'application/json', JSON.stringify(this.faults));
    }
    if (this.gate) await this.gate;
    const latencyMs = this.faults.latencyMs + (this.isLookup(req, url) ? this.faults.lookupLatencyMs : this.faults.bookLatencyMs);
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const handled =
      this.supplier === 'HERTZ' ? this.hertz(req, url, body) : this.supplier === 'BUDGET' ? this.budget(req, url, body) : this.europcar(req, url, body);
    if (!handled) return reply(res, 404, 'text/plain', 'not found');
    if (handled === 'hang') return hang(res, this.faults.holdMs);
    reply(res, handled.status, handled.type, handled.body);
  }

  /** A lookup by our reference: the OTA retrieve for HERTZ, a GET for the REST suppliers. */
  private isLookup(req: IncomingMessage, url: URL): boolean {
    return this.supplier === 'HERTZ' ? url.pathname === '/ota/VehRetRes' : req.method === 'GET';
  }

  /** Runs a booking through the faults; null when the answer must not come. */
  private attempt(reference: string): { decision: Decision; number?: string } {
    this.requests++;
    let decision = this.decide();
    // A reference booked already is answered with its booking, never refused.
    if (decision === 'reject' && this.bookingsByReference.has(reference)) decision = 'book';
    if (decision === 'book' || decision === 'commit_then_timeout') return { decision, number: this.book(reference) };
    if (decision === 'reject') this.rejectedReferences.add(reference);
    return { decision };
  }

  private hertz(req: IncomingMessage, url: URL, body: string) {
    const xml = (content: object) => ({ status: 200, type: 'text/xml', body: xmlBuilder.build(content) as string });
    const confirmation = (number: string) => ({ VehReservation: { VehSegmentCore: { ConfID: { '@_Type': '14', '@_ID': number } } } });
    // OTA_VehResRS carries VehResRSCore, OTA_VehRetResRS carries VehRetResRSCore.
    const success = (root: string, number: string) =>
      xml({ [root]: { '@_xmlns': OTA_NS, '@_Version': '1.0', Success: '', [`${root.slice('OTA_'.length)}Core`]: confirmation(number) } });
    const errors = (root: string, code: string) => {
      const error = { '@_Type': '3', '@_Code': code, '@_ShortText': code.replaceAll('_', ' ').toLowerCase() };
      return xml({ [root]: { '@_xmlns': OTA_NS, '@_Version': '1.0', Errors: { Error: error } } });
    };
    if (req.method !== 'POST') return undefined;
    const document = xmlParser.parse(body) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (url.pathname === '/ota/VehRes') {
      const reference = document.OTA_VehResRQ?.VehResRQInfo?.Reference?.['@_ID'];
      if (!reference) return errors('OTA_VehResRS', 'INVALID_REQUEST');
      const person = document.OTA_VehResRQ?.VehResRQCore?.Customer?.Primary?.PersonName;
      if (person) this.driversByReference.set(String(reference), `${person.GivenName} ${person.Surname}`);
      const { decision, number } = this.attempt(String(reference));
      if (decision === 'error') return { status: 503, type: 'text/plain', body: 'Service Unavailable' };
      if (decision === 'timeout' || decision === 'commit_then_timeout') return 'hang' as const;
      if (decision === 'reject') return errors('OTA_VehResRS', this.faults.rejectionCode ?? DEFAULT_REJECTION.HERTZ);
      return success('OTA_VehResRS', number!);
    }
    if (url.pathname === '/ota/VehRetRes') {
      const reference = String(document.OTA_VehRetResRQ?.VehRetResRQCore?.UniqueID?.['@_ID'] ?? '');
      const number = this.bookingsByReference.get(reference);
      return number ? success('OTA_VehRetResRS', number) : errors('OTA_VehRetResRS', 'NOT_FOUND');
    }
    return undefined;
  }

  private budget(req: IncomingMessage, url: URL, body: string) {
    const json = (status: number, content: object) => ({ status, type: 'application/json', body: JSON.stringify(content) });
    if (url.pathname !== '/v1/reservations') return undefined;
    if (req.method === 'GET') {
      const number = this.bookingsByReference.get(url.searchParams.get('external_reference') ?? '');
      return number ? json(200, { confirmation_number: number, status: 'CONFIRMED' }) : json(404, { error: 'not_found' });
    }
    const reference = (JSON.parse(body || '{}') as { external_reference?: string }).external_reference;
    if (!reference) return json(422, { error: 'invalid_request', message: 'external_reference is required' });
    const existing = this.bookingsByReference.get(reference);
    const { decision, number } = this.attempt(reference);
    if (decision === 'error') return json(503, { error: 'unavailable' });
    if (decision === 'timeout' || decision === 'commit_then_timeout') return 'hang' as const;
    if (decision === 'reject') return json(422, { error: this.faults.rejectionCode ?? DEFAULT_REJECTION.BUDGET, message: 'rejected by the simulator' });
    return existing
      ? json(409, { error: 'duplicate_reference', confirmation_number: existing })
      : json(201, { confirmation_number: number, status: 'CONFIRMED' });
  }

  private europcar(req: IncomingMessage, url: URL, body: string) {
    const json = (status: number, content: object) => ({ status, type: 'application/json', body: JSON.stringify(content) });
    if (url.pathname !== '/api/reservations') return undefined;
    if (req.method === 'GET') {
      const number = this.bookingsByReference.get(url.searchParams.get('clientReference') ?? '');
      return number ? json(200, { status: 'OK', reservationNumber: number }) : json(404, { status: 'KO' });
    }
    const reference = (JSON.parse(body || '{}') as { reservation?: { clientReference?: string } }).reservation?.clientReference;
    if (!reference) return json(200, { status: 'KO', error: { code: 'INVALID_REQUEST', retryable: false } });
    const { decision, number } = this.attempt(reference);
    if (decision === 'error') return json(200, { status: 'KO', error: { code: 'SYSTEM_ERROR', retryable: true } });
    if (decision === 'timeout' || decision === 'commit_then_timeout') return 'hang' as const;
    if (decision === 'reject') {
      return json(200, { status: 'KO', error: { code: this.faults.rejectionCode ?? DEFAULT_REJECTION.EUROPCAR, retryable: false } });
    }
    return json(200, { status: 'OK', reservationNumber: number });
  }
}

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type }).end(body);
}
