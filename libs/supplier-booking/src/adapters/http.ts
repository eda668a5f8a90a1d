import { Agent, request } from 'undici';
import { SupplierCallContext, SupplierUnavailableError } from '../supplier-gateway';

export interface HttpAnswer {
  status: number;
  body: string;
  retryAfterMs?: number;
}

/** Keep-alive connections to the suppliers, shared by every adapter of this process. */
const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 64 });

export interface CallInit {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

/**
 * One HTTP call to a supplier (undici's `request`: a fraction of `fetch`'s cost per call).
 * Transport failures become `SupplierUnavailableError`; a timeout or a reset after sending is
 * ambiguous (the supplier may have booked); 5xx and 429 too, as retryable. Other statuses are
 * returned for the adapter to read.
 */
export async function call(url: string, init: CallInit, timeoutMs: number, context: SupplierCallContext = {}): Promise<HttpAnswer> {
  const started = performance.now();
  const report = (responseStatus: number | null, responseBody: string | null, error: string | null) =>
    context.onExchange?.({
      method: init.method,
      url,
      requestBody: init.body ?? null,
      responseStatus,
      responseBody,
      latencyMs: Math.round(performance.now() - started),
      error,
    });
  let status: number;
  let body: string;
  let retryAfter: string | string[] | undefined;
  try {
    const response = await request(url, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      signal: context.signal,
      dispatcher,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    status = response.statusCode;
    retryAfter = response.headers['retry-after'];
    body = await response.body.text();
  } catch (error) {
    const message = (error as Error).message;
    report(null, null, message);
    // Refused: nothing reached the supplier, so nothing can have been booked.
    const code = (error as { code?: string }).code;
    throw new SupplierUnavailableError(`${init.method} ${url}: ${message}`, code !== 'ECONNREFUSED', undefined, { cause: error });
  }
  report(status, body, null);
  const retryAfterMs = retryAfterOf(Array.isArray(retryAfter) ? retryAfter[0] : (retryAfter ?? null));
  if (status >= 500 || status === 429) {
    throw new SupplierUnavailableError(`${init.method} ${url}: HTTP ${status}`, status >= 500, retryAfterMs);
  }
  return { status, body, retryAfterMs };
}

function retryAfterOf(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
