/** Small helpers of the suite's modules: waiting, rounding, formatting, logging to stderr. */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export function round(value: number): number {
  return Math.round(value * 10) / 10;
}

export function num(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
