import { SupplierAnswer, SupplierBookingRequest, SupplierCallContext, SupplierGateway, SupplierUnavailableError } from '../supplier-gateway';
import { call } from './http';

export interface EuropcarSettings {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

interface EuropcarAnswer {
  status?: string;
  reservationNumber?: string;
  error?: { code?: string; retryable?: boolean; message?: string };
}

/** EUROPCAR: JSON in its own envelope, split local date and time, `KO` that says if it is retryable. */
export class EuropcarGateway extends SupplierGateway {
  readonly supplierCode = 'EUROPCAR';

  constructor(private readonly settings: EuropcarSettings) {
    super();
  }

  async book(request: SupplierBookingRequest, context?: SupplierCallContext): Promise<SupplierAnswer> {
    const response = await call(
      `${this.settings.baseUrl}/api/reservations`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'x-api-key': this.settings.apiKey },
        body: JSON.stringify({
          reservation: {
            clientReference: request.reference,
            checkout: { stationCode: request.pickup.officeCode, ...splitLocal(request.pickup.local) },
            checkin: { stationCode: request.dropoff.officeCode, ...splitLocal(request.dropoff.local) },
            carCategory: request.carCategory,
            driver: {
              firstName: request.customer.firstName,
              lastName: request.customer.lastName,
              email: request.customer.email,
              phoneNumber: request.customer.phone,
            },
          },
        }),
      },
      this.settings.timeoutMs,
      context,
    );
    const answer = this.read(response.status, response.body);
    if (!answer) throw new SupplierUnavailableError(`EUROPCAR answered HTTP ${response.status} without a result`, false);
    return answer;
  }

  async lookup(reference: string, context?: SupplierCallContext): Promise<SupplierAnswer | null> {
    const response = await call(
      `${this.settings.baseUrl}/api/reservations?clientReference=${encodeURIComponent(reference)}`,
      { method: 'GET', headers: { 'x-api-key': this.settings.apiKey } },
      this.settings.timeoutMs,
      context,
    );
    if (response.status === 404) return null;
    return this.read(response.status, response.body);
  }

  private read(status: number, raw: string): SupplierAnswer | null {
    let body: EuropcarAnswer;
    try {
      body = JSON.parse(raw) as EuropcarAnswer;
    } catch {
      return null;
    }
    if (status === 200 && body.status === 'OK' && body.reservationNumber) {
      return { outcome: 'confirmed', confirmationNumber: body.reservationNumber };
    }
    if (status === 200 && body.status === 'KO') {
      const code = body.error?.code ?? 'UNKNOWN';
      if (body.error?.retryable) throw new SupplierUnavailableError(`EUROPCAR KO ${code} (retryable)`, false);
      return { outcome: 'rejected', code, message: body.error?.message ?? code };
    }
    return null;
  }
}

/** `2027-03-01T10:00` → `{ date: '20270301', time: '1000' }`. */
export function splitLocal(local: string): { date: string; time: string } {
  return { date: local.slice(0, 10).replaceAll('-', ''), time: local.slice(11, 16).replace(':', '') };
}
