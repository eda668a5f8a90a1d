/**
 * A delaying TCP proxy, run in a process of its own between a server under test (a floor or
 * the product) and MariaDB: every chunk is forwarded `ONE_WAY_MS` after it arrived, in each
 * direction, so a round trip costs `2 × ONE_WAY_MS` more, as a database across a network would
 * (this kernel has no netem). Started by `bench/floors.ts` with BENCH_DB_RTT_MS > 0.
 *
 *   TARGET=127.0.0.1:3306 ONE_WAY_MS=0.25 node -r ts-node/register/transpile-only bench/floor/delay-proxy.ts
 *   → prints `listening <port>` once it accepts connections.
 *
 * Node's timers count whole milliseconds, too coarse for 0.25 ms. So a worker thread is the
 * clock: it sleeps with `Atomics.wait` (sub-millisecond) until the earliest chunk is due and
 * then posts a message, which wakes this event loop at once; the loop forwards every chunk that
 * is due and arms the clock for the next. Nothing spins: an idle proxy costs no CPU. The delay
 * is the same for every chunk, so one queue in arrival order is also in due order, and each
 * socket's bytes keep their order. Both sockets run with TCP_NODELAY.
 */
import { createConnection, createServer, Socket } from 'node:net';
import { Worker } from 'node:worker_threads';

const [targetHost, targetPort] = (process.env.TARGET ?? '127.0.0.1:3306').split(':');
const ONE_WAY_MS = Number(process.env.ONE_WAY_MS ?? '0.25');
const now = () => performance.timeOrigin + performance.now();

/** The clock thread: [0] changes when a wake-up is armed, [1] never changes (a pure sleep); the due time in `due`. */
const shared = new SharedArrayBuffer(16);
const control = new Int32Array(shared, 0, 2);
const due = new Float64Array(shared, 8, 1);
const clock = new Worker(
  `const { parentPort, workerData } = require('node:worker_threads');
   const control = new Int32Array(workerData, 0, 2);
   const due = new Float64Array(workerData, 8, 1);
   const now = () => performance.timeOrigin + performance.now();
   let seen = 0;
   for (;;) {
     Atomics.wait(control, 0, seen);
     seen = Atomics.load(control, 0);
     let wait;
     while ((wait = due[0] - now()) > 0) Atomics.wait(control, 1, 0, wait);
     parentPort.postMessage(0);
   }`,
  { eval: true, workerData: shared },
);
clock.unref();

interface Pending {
  at: number;
  to: Socket;
  chunk: Buffer;
}
const queue: Pending[] = [];
let head = 0;
let armed = false;
/**
 * How late the clock wakes this loop (its sleep overshoots, then the message takes its time),
 * learnt as it goes: each wake-up is armed that much early, so chunks leave on time on average.
 */
let lateness = 0.1;
let target = 0;

function arm(): void {
  if (armed || head >= queue.length) return;
  armed = true;
  target = queue[head].at - lateness;
  due[0] = target;
  Atomics.add(control, 0, 1);
  Atomics.notify(control, 0);
}

clock.on('message', () => {
  armed = false;
  const t = now();
  lateness = Math.min(ONE_WAY_MS, Math.max(0, 0.95 * lateness + 0.05 * (t - target)));
  while (head < queue.length && queue[head].at <= t + 0.02) {
    const { to, chunk } = queue[head++];
    if (!to.destroyed) to.write(chunk);
  }
  if (head > 4096 && head * 2 > queue.length) {
    queue.splice(0, head);
    head = 0;
  }
  arm();
});

function forward(from: Socket, to: Socket): void {
  from.on('data', (chunk: Buffer) => {
    if (ONE_WAY_MS <= 0) {
      to.write(chunk);
      return;
    }
    queue.push({ at: now() + ONE_WAY_MS, to, chunk });
    arm();
  });
}

const server = createServer((client) => {
  const upstream = createConnection(Number(targetPort), targetHost);
  for (const socket of [client, upstream]) {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
  }
  forward(client, upstream);
  forward(upstream, client);
  // Closed after what is still queued for it has gone (one delay later).
  client.on('close', () => setTimeout(() => upstream.destroy(), 2 * ONE_WAY_MS + 5));
  upstream.on('close', () => setTimeout(() => client.destroy(), 2 * ONE_WAY_MS + 5));
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(0));
