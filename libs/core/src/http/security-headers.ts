import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { HelmetOptions } from 'helmet';

type Header = [name: string, value: string | number | readonly string[]];

/**
 * helmet's headers, worked out once: helmet runs a dozen middlewares per request that only
 * ever set the same constant headers (and remove `X-Powered-By`), never reading the request.
 * This records what helmet does to a response at start-up, then replays it on each one.
 */
export function securityHeaders(options: HelmetOptions): (request: IncomingMessage, response: ServerResponse, next: () => void) => void {
  const set: Header[] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: Header[1]) => set.push([name, value]),
    removeHeader: (name: string) => removed.push(name),
  };
  let done = false;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => (done = true));
  // helmet calls next synchronously; if it ever stops doing so, this must not serve half its headers.
  if (!done) throw new Error('helmet did not finish synchronously: its headers cannot be precomputed');
  return (_request, response, next) => {
    for (const name of removed) response.removeHeader(name);
    for (const [name, value] of set) response.setHeader(name, value);
    next();
  };
}
