import { CreateReservationInput } from '@app/reservations/testing';
import { DatabaseKind } from '../../support/test-database';
import { IntegrationApp, startIntegrationModule } from './integration-app';

export type { OperatorAnswer } from './integration-app';

/**
 * The integration app (the product's own handlers on this worker's database, fakes at the
 * ports) plus what the lifecycle model keeps across the commands of one run.
 */
export class LifecycleWorld extends IntegrationApp {
  /** Reservations created in the current run, in order. */
  readonly codes: string[] = [];
  /** Highest lock_version seen per reservation (invariant: it only grows). */
  readonly lockVersions = new Map<string, number>();

  static override async start(kind: DatabaseKind): Promise<LifecycleWorld> {
    return new LifecycleWorld(await startIntegrationModule(kind));
  }

  /** Empties the tables and the fakes between runs: one database per worker, not per run. */
  override async reset(): Promise<void> {
    await super.reset();
    this.codes.length = 0;
    this.lockVersions.clear();
  }

  async create(input: CreateReservationInput): Promise<string> {
    const reservation = await this.createReservation(input);
    this.codes.push(reservation.code);
    return reservation.code;
  }
}
