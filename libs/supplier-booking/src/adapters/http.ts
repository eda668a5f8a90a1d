import { SupplierCallContext, SupplierUnavailableError } from '../supplier-gateway';

export interface HttpAnswer {
  status: number;
  body: string;
  retryAfterMs?: number;
}

/**
 * One HTTP call to a supplier. Transport failures become `SupplierUnavailableError`; a
 * timeout or a reset after sending is ambiguous (the supplier may have booked); 5xx and 429
 * too, as retryable. Other statuses are returned for the adapter to read.
 */
export async function call(url: string, init: RequestInit, timeoutMs: number, context: SupplierCallContext = {}): Promise<HttpAnswer> {
  const method = init.method ?? 'GET';
  const started = performance.now();
  const report = (responseStatus: number | null, responseBody: string | null, error: string | null) =>
    context.onExchange?.({
      method,
      url,
      requestBody: typeof init.body === 'string' ? init.body : null,
      responseStatus,
      responseBody,
      latencyMs: Math.round(performance.now() - started),
      error,
    });
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  let body: string;
  try {
    response = await fetch(url, { ...init, signal: context.signal ? AbortSignal.any([timeout, context.signal]) : timeout });
    body = await response.text();
  } catch (error) {
    report(null, null, (error as Error).message);
    // Refused: nothing reached the supplier, so nothing can have been booked.
    const cause = (error as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
    const refused = cause?.code === 'ECONNREFUSED' || (!!cause?.errors?.length && cause.errors.every((e) => e.code === 'ECONNREFUSED'));
    throw new SupplierUnavailableError(`${init.method ?? 'GET'} ${url}: ${(error as Error).message}`, !refused, undefined, {
      cause: error,
    });
  }
  report(response.status, body, null);
  const retryAfterMs = retryAfterOf(response.headers.get('retry-after'));
  if (response.status >= 500 || response.status === 429) {
    throw new SupplierUnavailableError(`${init.method ?? 'GET'} ${url}: HTTP ${response.status}`, response.status >= 500, retryAfterMs);
  }
  return { status: response.status, body, retryAfterMs };
}

function retryAfterOf(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
