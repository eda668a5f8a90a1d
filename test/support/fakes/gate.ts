/**
 * Holds one call of a fake until the test releases it: `reached` resolves when the call has
 * arrived (so the test knows the other side is in flight), `release()` lets it answer.
 */
export class Gate {
  readonly reached: Promise<void>;
  private readonly released: Promise<void>;
  private arrive!: () => void;
  private open!: () => void;
  arrived = false;

  constructor() {
    this.reached = new Promise((resolve) => (this.arrive = resolve));
    this.released = new Promise((resolve) => (this.open = resolve));
  }

  /** Called by the fake: marks the call as arrived and waits for the test. */
  async pass(): Promise<void> {
    this.arrived = true;
    this.arrive();
    await this.released;
  }

  release(): void {
    this.open();
  }
}
