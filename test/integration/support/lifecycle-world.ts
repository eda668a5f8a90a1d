import { CreateReservationInput } from '@app/reservations/testing';
import { DatabaseKind } from '../../support/test-database';
import { IntegrationApp, startIntegrationModule } from './integration-app';

export type { OperatorAnswer } from './integration-app';

/** PAYMENT_CAPTURE: charged at once, or held until the supplier booked it (ADR 0015). */
export type CaptureMode = 'immediate' | 'after_supplier_confirmation';
/** PAYMENT_CAPTURE_DEADLINE_POLICY: what the hold-deadline job does with an unbooked hold near its deadline. */
export type DeadlinePolicy = 'capture' | 'release';

/** How the product is configured for a model run: one app per combination. */
export interface LifecycleSettings {
  mode: CaptureMode;
  /** Only read with holds (`after_supplier_confirmation`). */
  deadlinePolicy: DeadlinePolicy;
}

/** PAYMENT_CAPTURE_MARGIN_HOURS as the world starts the app (the product's default). */
export const CAPTURE_MARGIN_HOURS = 12;

/**
 * The integration app (the product's own handlers on this worker's database, fakes at the
 * ports) plus what the lifecycle model keeps across the commands of one run.
 */
export class LifecycleWorld extends IntegrationApp {
  /** Reservations created in the current run, in order. */
  readonly codes: string[] = [];
  /** Highest lock_version seen per reservation (invariant: it only grows). */
  readonly lockVersions = new Map<string, number>();
  settings: LifecycleSettings = { mode: 'immediate', deadlinePolicy: 'capture' };

  static override async start(kind: DatabaseKind, settings: Partial<LifecycleSettings> = {}): Promise<LifecycleWorld> {
    const chosen: LifecycleSettings = { mode: 'immediate', deadlinePolicy: 'capture', ...settings };
    // Every variable set explicitly: startIntegrationModule writes them to process.env, where
    // they would otherwise carry over from the previous app of this file.
    const world = new LifecycleWorld(
      await startIntegrationModule(kind, {
        PAYMENT_CAPTURE: chosen.mode,
        PAYMENT_CAPTURE_DEADLINE_POLICY: chosen.deadlinePolicy,
        PAYMENT_CAPTURE_MARGIN_HOURS: String(CAPTURE_MARGIN_HOURS),
      }),
    );
    world.settings = chosen;
    return world;
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
