import { SupplierAnswer, SupplierBookingRequest, SupplierCallContext, SupplierGateway, SupplierUnavailableError, withSeconds } from '../supplier-gateway';
import { call } from './http';

export interface BudgetSettings {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

/** BUDGET: JSON REST; 409 duplicate_reference is the first booking, a success. */
export class BudgetRestGateway extends SupplierGateway {
  readonly supplierCode = 'BUDGET';

  constructor(private readonly settings: BudgetSettings) {
    super();
  }

  async book(request: SupplierBookingRequest, context?: SupplierCallContext): Promise<SupplierAnswer> {
    const response = await call(
      `${this.settings.baseUrl}/v1/reservations`,
      {
        method: 'POST',
        headers: this.headers(),
        body: JSON.stringify({
          external_reference: request.reference,
          pickup: { location_code: request.pickup.officeCode, datetime: withSeconds(request.pickup.local) },
          return: { location_code: request.dropoff.officeCode, datetime: withSeconds(request.dropoff.local) },
          vehicle: { sipp_code: request.carCategory },
          renter: {
            first_name: request.customer.firstName,
            last_name: request.customer.lastName,
            email: request.customer.email,
            phone: request.customer.phone,
          },
          estimated_total: { amount: majorUnits(request.price.amount), currency: request.price.currency },
        }),
      },
      this.settings.timeoutMs,
      context,
    );
    const body = parseJson(response.body);
    if ((response.status === 201 || response.status === 200 || response.status === 409) && typeof body.confirmation_number === 'string') {
      return { outcome: 'confirmed', confirmationNumber: body.confirmation_number };
    }
    if (response.status === 422 || response.status === 400) {
      return { outcome: 'rejected', code: String(body.error ?? `HTTP_${response.status}`), message: String(body.message ?? '') };
    }
    throw new SupplierUnavailableError(`BUDGET answered HTTP ${response.status} without a confirmation`, false);
  }

  async lookup(reference: string, context?: SupplierCallContext): Promise<SupplierAnswer | null> {
    const response = await call(
      `${this.settings.baseUrl}/v1/reservations?external_reference=${encodeURIComponent(reference)}`,
      { method: 'GET', headers: this.headers() },
      this.settings.timeoutMs,
      context,
    );
    if (response.status === 404) return null;
    const body = parseJson(response.body);
    if (response.status === 200 && typeof body.confirmation_number === 'string') {
      return { outcome: 'confirmed', confirmationNumber: body.confirmation_number };
    }
    throw new SupplierUnavailableError(`BUDGET lookup answered HTTP ${response.status}`, false);
  }

  private headers(): Record<string, string> {
    return { 'Content-Type': 'application/json', Authorization: `Bearer ${this.settings.apiKey}` };
  }
}

/** 18950 minor units → "189.50" (every currency we sell in has two decimals). */
export function majorUnits(amount: number): string {
  return (amount / 100).toFixed(2);
}

function parseJson(body: string): Record<string, unknown> {
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    return {};
  }
}
