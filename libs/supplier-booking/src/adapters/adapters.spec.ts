import { createServer, IncomingMessage, Server } from 'node:http';
import { XMLParser } from 'fast-xml-parser';
import { SupplierBookingRequest, SupplierUnavailableError } from '../supplier-gateway';
import { BudgetRestGateway } from './budget-rest.gateway';
import { EuropcarGateway } from './europcar.gateway';
import { HertzOtaGateway } from './hertz-ota.gateway';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A supplier stand-in over real HTTP: records what it got, answers what the test scripted. */
class WireServer {
  private server?: Server;
  readonly seen: Seen[] = [];
  reply: (seen: Seen) => { status: number; body: string; headers?: Record<string, string>; hang?: boolean } = () => ({ status: 500, body: '' });
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const seen = { method: req.method!, url: req.url!, headers: req.headers, body };
        this.seen.push(seen);
        const answer = this.reply(seen);
        if (answer.hang) return;
        res.writeHead(answer.status, answer.headers ?? {}).end(answer.body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

const request: SupplierBookingRequest = {
  reference: 'K7M2Q9XD',
  pickup: { officeCode: 'MAD-T4', local: '2027-03-01T10:00' },
  dropoff: { officeCode: 'BCN-T1', local: '2027-03-05T10:00' },
  carCategory: 'CDMR',
  customer: { firstName: 'Ana', lastName: "O'Brien & Søn <test>", email: 'ana@example.com', phone: '+34600111222' },
  price: { amount: 18950, currency: 'EUR' },
};

const wire = new WireServer();
beforeAll(() => wire.start());
afterAll(() => wire.stop());
beforeEach(() => {
  wire.seen.length = 0;
});

describe('HERTZ (OTA XML)', () => {
  const gateway = () => new HertzOtaGateway({ baseUrl: wire.url, user: 'api-user', password: 's3cret', timeoutMs: 500 });
  const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' });
  const success = '<OTA_VehResRS xmlns="http://www.opentravel.org/OTA/2003/05" Version="1.0"><Success/><VehResRSCore><VehReservation><VehSegmentCore><ConfID Type="14" ID="H7Q2K9X1"/></VehSegmentCore></VehReservation></VehResRSCore></OTA_VehResRS>';
  const failure = (code: string) =>
    `<OTA_VehResRS xmlns="http://www.opentravel.org/OTA/2003/05" Version="1.0"><Errors><Error Type="3" Code="${code}" ShortText="No &amp; luck"/></Errors></OTA_VehResRS>`;

  it('sends the OTA request of the contract, escaping names so they travel intact', async () => {
    wire.reply = () => ({ status: 200, body: success });
    await expect(gateway().book(request)).resolves.toEqual({ outcome: 'confirmed', confirmationNumber: 'H7Q2K9X1' });

    const [seen] = wire.seen;
    expect(seen).toMatchObject({ method: 'POST', url: '/ota/VehRes' });
    expect(seen.headers['content-type']).toBe('text/xml');
    expect(seen.headers.authorization).toBe(`Basic ${Buffer.from('api-user:s3cret').toString('base64')}`);
    expect(seen.body).toContain('O&apos;Brien &amp; Søn &lt;test&gt;');
    const rq = xml.parse(seen.body).OTA_VehResRQ;
    expect(rq['@_xmlns']).toBe('http://www.opentravel.org/OTA/2003/05');
    expect(rq.POS.Source.RequestorID).toEqual({ '@_Type': '4', '@_ID': 'api-user' });
    expect(rq.VehResRQCore.VehRentalCore).toMatchObject({
      '@_PickUpDateTime': '2027-03-01T10:00:00',
      '@_ReturnDateTime': '2027-03-05T10:00:00',
      PickUpLocation: { '@_LocationCode': 'MAD-T4' },
      ReturnLocation: { '@_LocationCode': 'BCN-T1' },
    });
    expect(rq.VehResRQCore.Customer.Primary).toEqual({
      PersonName: { GivenName: 'Ana', Surname: "O'Brien & Søn <test>" },
      Telephone: { '@_PhoneNumber': '+34600111222' },
      Email: 'ana@example.com',
    });
    expect(rq.VehResRQCore.VehPref).toEqual({ '@_Code': 'CDMR', '@_CodeContext': 'ACRISS' });
    expect(rq.VehResRQInfo.Reference).toEqual({ '@_Type': '14', '@_ID': 'K7M2Q9XD' });
  });

  it('reads errors sent with HTTP 200: rejections, and SYSTEM_UNAVAILABLE as retryable', async () => {
    for (const code of ['LOCATION_CLOSED', 'CATEGORY_UNAVAILABLE', 'INVALID_REQUEST']) {
      wire.reply = () => ({ status: 200, body: failure(code) });
      await expect(gateway().book(request)).resolves.toEqual({ outcome: 'rejected', code, message: 'No & luck' });
    }
    wire.reply = () => ({ status: 200, body: failure('SYSTEM_UNAVAILABLE') });
    await expect(gateway().book(request)).rejects.toMatchObject({ name: 'SupplierUnavailableError', ambiguous: false });
  });

  it('looks a booking up by our reference: found, or NOT_FOUND as null', async () => {
    wire.reply = () => ({ status: 200, body: success.replaceAll('VehResRS', 'VehRetResRS') });
    await expect(gateway().lookup('K7M2Q9XD')).resolves.toEqual({ outcome: 'confirmed', confirmationNumber: 'H7Q2K9X1' });
    expect(xml.parse(wire.seen[0].body).OTA_VehRetResRQ.VehRetResRQCore.UniqueID).toEqual({ '@_Type': '14', '@_ID': 'K7M2Q9XD' });
    expect(wire.seen[0].url).toBe('/ota/VehRetRes');
    wire.reply = () => ({ status: 200, body: failure('NOT_FOUND').replaceAll('VehResRS', 'VehRetResRS') });
    await expect(gateway().lookup('K7M2Q9XD')).resolves.toBeNull();
  });

  it('treats 5xx and timeouts as ambiguous, 429 as retryable with its Retry-After', async () => {
    wire.reply = () => ({ status: 503, body: 'down' });
    await expect(gateway().book(request)).rejects.toMatchObject({ ambiguous: true });
    wire.reply = () => ({ status: 429, body: '', headers: { 'Retry-After': '2' } });
    await expect(gateway().book(request)).rejects.toMatchObject({ ambiguous: false, retryAfterMs: 2000 });
    wire.reply = () => ({ status: 200, body: '', hang: true });
    await expect(gateway().book(request)).rejects.toMatchObject({ ambiguous: true });
  });

  it('reports a refused connection as not ambiguous (nothing was sent)', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const closed = new HertzOtaGateway({ baseUrl: `http://127.0.0.1:${port}`, user: 'u', password: 'p', timeoutMs: 500 });
    await expect(closed.book(request)).rejects.toBeInstanceOf(SupplierUnavailableError);
    await expect(closed.book(request)).rejects.toMatchObject({ ambiguous: false });
  });
});

describe('BUDGET (JSON REST)', () => {
  const gateway = () => new BudgetRestGateway({ baseUrl: wire.url, apiKey: 'budget-key', timeoutMs: 500 });

  it('sends the JSON of the contract with the bearer key', async () => {
    wire.reply = () => ({ status: 201, body: JSON.stringify({ confirmation_number: 'B-48213377', status: 'CONFIRMED' }) });
    await expect(gateway().book(request)).resolves.toEqual({ outcome: 'confirmed', confirmationNumber: 'B-48213377' });
    const [seen] = wire.seen;
    expect(seen).toMatchObject({ method: 'POST', url: '/v1/reservations' });
    expect(seen.headers.authorization).toBe('Bearer budget-key');
    expect(JSON.parse(seen.body)).toEqual({
      external_reference: 'K7M2Q9XD',
      pickup: { location_code: 'MAD-T4', datetime: '2027-03-01T10:00:00' },
      return: { location_code: 'BCN-T1', datetime: '2027-03-05T10:00:00' },
      vehicle: { sipp_code: 'CDMR' },
      renter: { first_name: 'Ana', last_name: "O'Brien & Søn <test>", email: 'ana@example.com', phone: '+34600111222' },
      estimated_total: { amount: '189.50', currency: 'EUR' },
    });
  });

  it('takes 409 duplicate_reference as the first booking, and 422 as a rejection', async () => {
    wire.reply = () => ({ status: 409, body: JSON.stringify({ error: 'duplicate_reference', confirmation_number: 'B-48213377' }) });
    await expect(gateway().book(request)).resolves.toEqual({ outcome: 'confirmed', confirmationNumber: 'B-48213377' });
    for (const error of ['vehicle_unavailable', 'invalid_location', 'invalid_request']) {
      wire.reply = () => ({ status: 422, body: JSON.stringify({ error, message: 'nope' }) });
      await expect(gateway().book(request)).resolves.toEqual({ outcome: 'rejected', code: error, message: 'nope' });
    }
  });

  it('looks up by external_reference: 200 or 404', async () => {
    wire.reply = () => ({ status: 200, body: JSON.stringify({ confirmation_number: 'B-1', status: 'CONFIRMED' }) });
    await expect(gateway().lookup('K7M2Q9XD')).resolves.toEqual({ outcome: 'confirmed', confirmationNumber: 'B-1' });
    expect(wire.seen[0].url).toBe('/v1/reservations?external_reference=K7M2Q9XD');
    wire.reply = () => ({ status: 404, body: '' });
    await expect(gateway().lookup('K7M2Q9XD')).resolves.toBeNull();
  });
});

describe('EUROPCAR (JSON envelope)', () => {
  const gateway = () => new EuropcarGateway({ baseUrl: wire.url, apiKey: 'ec-key', timeoutMs: 500 });

  it('sends its envelope with split local date and time', async () => {
    wire.reply = () => ({ status: 200, body: JSON.stringify({ status: 'OK', reservationNumber: 'EC0093318842' }) });
    await expect(gateway().book(request)).resolves.toEqual({ outcome: 'confirmed', confirmationNumber: 'EC0093318842' });
    const [seen] = wire.seen;
    expect(seen).toMatchObject({ method: 'POST', url: '/api/reservations' });
    expect(seen.headers['x-api-key']).toBe('ec-key');
    expect(JSON.parse(seen.body)).toEqual({
      reservation: {
        clientReference: 'K7M2Q9XD',
        checkout: { stationCode: 'MAD-T4', date: '20270301', time: '1000' },
        checkin: { stationCode: 'BCN-T1', date: '20270305', time: '1000' },
        carCategory: 'CDMR',
        driver: { firstName: 'Ana', lastName: "O'Brien & Søn <test>", email: 'ana@example.com', phoneNumber: '+34600111222' },
      },
    });
  });

  it('obeys `retryable` in a KO', async () => {
    wire.reply = () => ({ status: 200, body: JSON.stringify({ status: 'KO', error: { code: 'STATION_CLOSED', retryable: false } }) });
    await expect(gateway().book(request)).resolves.toEqual({ outcome: 'rejected', code: 'STATION_CLOSED', message: 'STATION_CLOSED' });
    wire.reply = () => ({ status: 200, body: JSON.stringify({ status: 'KO', error: { code: 'BUSY', retryable: true } }) });
    await expect(gateway().book(request)).rejects.toMatchObject({ name: 'SupplierUnavailableError', ambiguous: false });
  });

  it('looks up by clientReference: 200 or 404', async () => {
    wire.reply = () => ({ status: 200, body: JSON.stringify({ status: 'OK', reservationNumber: 'EC1' }) });
    await expect(gateway().lookup('K7M2Q9XD')).resolves.toEqual({ outcome: 'confirmed', confirmationNumber: 'EC1' });
    expect(wire.seen[0].url).toBe('/api/reservations?clientReference=K7M2Q9XD');
    wire.reply = () => ({ status: 404, body: '' });
    await expect(gateway().lookup('K7M2Q9XD')).resolves.toBeNull();
  });
});
