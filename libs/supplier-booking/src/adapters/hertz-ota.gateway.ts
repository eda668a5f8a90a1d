import { randomUUID } from 'node:crypto';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { SupplierAnswer, SupplierBookingRequest, SupplierCallContext, SupplierGateway, SupplierUnavailableError, withSeconds } from '../supplier-gateway';
import { call } from './http';

const OTA_NS = 'http://www.opentravel.org/OTA/2003/05';
const RETRYABLE = new Set(['SYSTEM_UNAVAILABLE']);

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true });
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  isArray: (name) => name === 'Error',
});

export interface HertzSettings {
  baseUrl: string;
  user: string;
  password: string;
  timeoutMs: number;
}

/** HERTZ: OpenTravel OTA 2003/05 XML; errors come with HTTP 200 inside `<Errors>`. */
export class HertzOtaGateway extends SupplierGateway {
  readonly supplierCode = 'HERTZ';

  constructor(private readonly settings: HertzSettings) {
    super();
  }

  async book(request: SupplierBookingRequest, context?: SupplierCallContext): Promise<SupplierAnswer> {
    const xml = builder.build({
      OTA_VehResRQ: {
        '@_xmlns': OTA_NS,
        '@_Version': '1.0',
        '@_EchoToken': randomUUID(),
        POS: { Source: { RequestorID: { '@_Type': '4', '@_ID': this.settings.user } } },
        VehResRQCore: {
          VehRentalCore: {
            '@_PickUpDateTime': withSeconds(request.pickup.local),
            '@_ReturnDateTime': withSeconds(request.dropoff.local),
            PickUpLocation: { '@_LocationCode': request.pickup.officeCode },
            ReturnLocation: { '@_LocationCode': request.dropoff.officeCode },
          },
          Customer: {
            Primary: {
              PersonName: { GivenName: request.customer.firstName, Surname: request.customer.lastName },
              Telephone: { '@_PhoneNumber': request.customer.phone },
              Email: request.customer.email,
            },
          },
          VehPref: { '@_Code': request.carCategory, '@_CodeContext': 'ACRISS' },
        },
        VehResRQInfo: { Reference: { '@_Type': '14', '@_ID': request.reference } },
      },
    }) as string;
    const answer = await this.post('/ota/VehRes', xml, context);
    if (!answer) throw new SupplierUnavailableError('HERTZ answered VehRes without a result', false);
    return answer;
  }

  async lookup(reference: string, context?: SupplierCallContext): Promise<SupplierAnswer | null> {
    const xml = builder.build({
      OTA_VehRetResRQ: {
        '@_xmlns': OTA_NS,
        '@_Version': '1.0',
        VehRetResRQCore: { UniqueID: { '@_Type': '14', '@_ID': reference } },
      },
    }) as string;
    return this.post('/ota/VehRetRes', xml, context);
  }

  /** Reads a booking-shaped answer; null for NOT_FOUND. */
  private async post(path: string, xml: string, context?: SupplierCallContext): Promise<SupplierAnswer | null> {
    const credentials = Buffer.from(`${this.settings.user}:${this.settings.password}`).toString('base64');
    const response = await call(
      `${this.settings.baseUrl}${path}`,
      { method: 'POST', headers: { 'Content-Type': 'text/xml', Authorization: `Basic ${credentials}` }, body: xml },
      this.settings.timeoutMs,
      context,
    );
    if (response.status !== 200) {
      return { outcome: 'rejected', code: `HTTP_${response.status}`, message: response.body.slice(0, 200) };
    }
    const document = parser.parse(response.body) as Record<string, Record<string, unknown>>;
    const root = document.OTA_VehResRS ?? document.OTA_VehRetResRS ?? {};
    const errors = (root.Errors as { Error?: { '@_Code'?: string; '@_ShortText'?: string }[] } | undefined)?.Error ?? [];
    if (errors.length > 0) {
      const code = errors[0]['@_Code'] ?? 'UNKNOWN';
      const message = errors[0]['@_ShortText'] ?? code;
      if (code === 'NOT_FOUND') return null;
      if (RETRYABLE.has(code)) throw new SupplierUnavailableError(`HERTZ ${code}: ${message}`, false);
      return { outcome: 'rejected', code, message };
    }
    // A lookup "answers like a booking success": accept its core under either name.
    const core = (root.VehResRSCore ?? root.VehRetResRSCore) as
      | { VehReservation?: { VehSegmentCore?: { ConfID?: { '@_ID'?: string } } } }
      | undefined;
    const confirmation = core?.VehReservation?.VehSegmentCore?.ConfID?.['@_ID'];
    if (!('Success' in root) || !confirmation) {
      throw new SupplierUnavailableError('HERTZ answered without Success or ConfID', false);
    }
    return { outcome: 'confirmed', confirmationNumber: String(confirmation) };
  }
}
