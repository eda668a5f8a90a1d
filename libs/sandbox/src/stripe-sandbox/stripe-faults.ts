/** The API operations the sandbox counts and can fault, as a fault names them. */
export type SandboxOperation =
  | 'create_payment_intent'
  | 'retrieve_payment_intent'
  | 'cancel_payment_intent'
  | 'capture_payment_intent'
  | 'retrieve_charge'
  | 'create_refund'
  | 'list_refunds';

export interface Fault {
  operation: SandboxOperation | 'any';
  /** error: answer `status`, change nothing; timeout: change nothing, hang; commit_then_timeout: do it, then hang. */
  mode: 'error' | 'timeout' | 'commit_then_timeout';
  count?: number;
  status?: number;
  delay_ms?: number;
}

/**
 * The faults still to inject, in the order they were asked for: the first one that names an
 * operation (or 'any') applies to its next request, and is used up once its `count` is spent
 * (without a count it stays until cleared). The routes decide what a fault does to the answer.
 */
export class FaultQueue {
  private faults: Fault[] = [];

  list(): Fault[] {
    return [...this.faults];
  }

  add(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  clear(): void {
    this.faults = [];
  }

  take(operation: SandboxOperation): Fault | undefined {
    const index = this.faults.findIndex(
      (fault) => fault.operation === operation || fault.operation === 'any',
    );
    if (index < 0) return undefined;
    const fault = this.faults[index];
    if (fault.count !== undefined && --fault.count <= 0) this.faults.splice(index, 1);
    return fault;
  }
}
