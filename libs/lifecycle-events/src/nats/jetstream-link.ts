import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  connect,
  ErrorCode,
  Events,
  headers,
  JetStreamManager,
  nanos,
  NatsError,
  NatsConnection,
  RetentionPolicy,
  StorageType,
  StreamInfo,
} from 'nats';
import { DependencyUnavailableError, outboxConfig, OutboxConfig } from '@app/outbox';
import { CLOUDEVENTS_JSON } from './cloud-event';
import { inPublishSpan } from './publish-span';
import { lifecycleEventsConfig, LifecycleEventsConfig, NatsEventsConfig } from '../lifecycle-events.config';

/** How long a publish waits for JetStream's acknowledgement. */
const PUBLISH_TIMEOUT_MS = 5000;
/** A first try after the broker went away waits at least this long. */
const RETRY_MIN_MS = 500;
/** Beyond the republishing delays, so that a clock's drift or a slow claim stays inside the window. */
const DUPLICATE_WINDOW_MARGIN_MS = 60_000;

/** The failures that mean the broker (or its JetStream) is away, not that this message is wrong. */
const BROKER_AWAY = new Set<string>([
  ErrorCode.Timeout,
  ErrorCode.Disconnect,
  ErrorCode.ConnectionClosed,
  ErrorCode.ConnectionRefused,
  ErrorCode.ConnectionTimeout,
  ErrorCode.ConnectionDraining,
  ErrorCode.NoResponders,
]);
const STREAM_NOT_FOUND = 10059;
const STREAM_NAME_IN_USE = 10058;

export interface PublishOutcome {
  /** JetStream had this message id already, within its duplicate window: nothing was stored. */
  duplicate: boolean;
}

/**
 * This process's connection to NATS JetStream, made at start in the background and kept
 * (the client reconnects by itself, without a limit), and the stream the events go to,
 * created or widened on first use. A publish while the broker is away throws
 * `DependencyUnavailableError` at once, with a delay that grows with the outage up to
 * `EVENTS_NATS_RETRY_MAX_MS`: the event waits in the outbox, never DEAD.
 */
@Injectable()
export class JetStreamLink implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JetStreamLink.name);
  private readonly config: NatsEventsConfig | null;
  private connection?: NatsConnection;
  private connecting?: Promise<NatsConnection>;
  private connected = false;
  private stream?: Promise<void>;
  private unavailableSince: number | null = null;
  private lastConnectFailure = 0;
  private stopped = false;
  private readonly drains: boolean;
  /** Longer than any delay after which the outbox can publish an event again: its lease plus its largest backoff. */
  readonly duplicateWindowMs: number;

  constructor(
    @Inject(lifecycleEventsConfig.KEY) config: LifecycleEventsConfig,
    @Inject(outboxConfig.KEY) outbox: OutboxConfig,
  ) {
    this.config = config.nats;
    this.drains = outbox.enabled;
    this.duplicateWindowMs =
      outbox.leaseMs +
      Math.max(outbox.backoffMaxMs, config.nats?.retryMaxMs ?? 0) +
      DUPLICATE_WINDOW_MARGIN_MS;
  }

  /**
   * Connects in the background where this process drains the outbox (a broker that is down
   * delays no start); a process that only serves HTTP, or the CLI, never publishes and never connects.
   */
  onApplicationBootstrap(): void {
    if (this.config && this.drains) this.connect().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    const connection = this.connection ?? (await this.connecting?.catch(() => undefined));
    this.connection = undefined;
    if (connection && !connection.isClosed()) await connection.drain().catch(() => connection.close());
  }

  /**
   * Off (no EVENTS_NATS_URL); not publishing (this process does not drain the outbox, so it never
   * connects); connected; or away (connecting, reconnecting).
   */
  state(): 'off' | 'not_publishing' | 'connected' | 'away' {
    if (!this.config) return 'off';
    if (!this.drains && !this.connection) return 'not_publishing';
    return this.connected ? 'connected' : 'away';
  }

  async publish(subject: string, body: string, messageId: string): Promise<PublishOutcome> {
    const connection = await this.usableConnection();
    try {
      await this.ensureStream(connection);
      const header = headers();
      header.set('Content-Type', CLOUDEVENTS_JSON);
      // A span of its own, whose trace context goes in the headers (traceparent), never in the body.
      const ack = await inPublishSpan(
        { subject, messageId, body, server: connection.getServer() },
        header,
        () =>
          connection
            .jetstream()
            .publish(subject, body, { msgID: messageId, headers: header, timeout: PUBLISH_TIMEOUT_MS }),
      );
      this.unavailableSince = null;
      return { duplicate: ack.duplicate };
    } catch (error) {
      if (!isBrokerAway(error)) throw error;
      // No responders: the stream may be gone (deleted by hand): make sure of it again next time.
      this.stream = undefined;
      throw this.away(error);
    }
  }

  private async usableConnection(): Promise<NatsConnection> {
    if (this.connection && this.connected) return this.connection;
    if (this.connection)
      throw this.away(new Error('the connection to NATS is lost; the client is reconnecting'));
    if (this.connecting) return this.connecting.catch((error: unknown) => Promise.reject(this.away(error)));
    if (Date.now() - this.lastConnectFailure < RETRY_MIN_MS)
      throw this.away(new Error('NATS was unreachable a moment ago'));
    return this.connect().catch((error: unknown) => Promise.reject(this.away(error)));
  }

  private connect(): Promise<NatsConnection> {
    const config = this.config!;
    this.connecting ??= connect({
      servers: config.servers,
      name: 'reservations-api',
      // Once connected, the client reconnects for as long as the process lives.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: 2000,
    })
      .then((connection) => {
        this.connecting = undefined;
        if (this.stopped) {
          void connection.close();
          throw new Error('shutting down');
        }
        this.adopt(connection);
        return connection;
      })
      .catch((error: unknown) => {
        this.connecting = undefined;
        this.lastConnectFailure = Date.now();
        throw error;
      });
    return this.connecting;
  }

  private adopt(connection: NatsConnection): void {
    this.connection = connection;
    this.connected = true;
    this.logger.log({ msg: 'connected to NATS', server: connection.getServer() });
    void (async () => {
      for await (const status of connection.status()) {
        if (status.type === Events.Disconnect) {
          this.connected = false;
          this.logger.warn({ msg: 'NATS connection lost; reconnecting' });
        } else if (status.type === Events.Reconnect) {
          this.connected = true;
          // A broker that came back without its store, or another server of the cluster: check the stream again.
          this.stream = undefined;
          this.logger.log({ msg: 'reconnected to NATS', server: connection.getServer() });
        }
      }
    })();
    void connection.closed().then(() => {
      if (this.connection !== connection) return;
      this.connection = undefined;
      this.connected = false;
    });
  }

  /** The stream exists, takes `<prefix>.>` and deduplicates over the whole window; created or updated if not. */
  private ensureStream(connection: NatsConnection): Promise<void> {
    this.stream ??= connection
      .jetstreamManager()
      .then((manager) => this.ensureStreamWith(manager))
      .catch((error: unknown) => {
        this.stream = undefined;
        throw error;
      });
    return this.stream;
  }

  private async ensureStreamWith(manager: JetStreamManager): Promise<void> {
    const { stream: name, subjectPrefix } = this.config!;
    const subject = `${subjectPrefix}.>`;
    const window = nanos(this.duplicateWindowMs);
    let info: StreamInfo | undefined = await manager.streams.info(name).catch((error: unknown) => {
      if (apiErrorCode(error) === STREAM_NOT_FOUND) return undefined;
      throw error;
    });
    if (!info) {
      try {
        await manager.streams.add({
          name,
          subjects: [subject],
          duplicate_window: window,
          storage: StorageType.File,
          retention: RetentionPolicy.Limits,
        });
        this.logger.log({
          msg: 'JetStream stream created',
          stream: name,
          subjects: [subject],
          duplicate_window_ms: this.duplicateWindowMs,
        });
        return;
      } catch (error) {
        // Another process created it a moment ago.
        if (apiErrorCode(error) !== STREAM_NAME_IN_USE) throw error;
        info = await manager.streams.info(name);
      }
    }
    const subjects = info.config.subjects ?? [];
    if (subjects.includes(subject) && info.config.duplicate_window >= window) return;
    await manager.streams.update(name, {
      subjects: subjects.includes(subject) ? subjects : [...subjects, subject],
      duplicate_window: Math.max(window, info.config.duplicate_window),
    });
    this.logger.log({
      msg: 'JetStream stream updated',
      stream: name,
      subject,
      duplicate_window_ms: this.duplicateWindowMs,
    });
  }

  private away(error: unknown): DependencyUnavailableError {
    const now = Date.now();
    this.unavailableSince ??= now;
    const ceiling = Math.min(this.config!.retryMaxMs, Math.max(RETRY_MIN_MS, now - this.unavailableSince));
    // Jittered between half and all of it, so that the waiting events do not come back in step.
    const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    const reason = error instanceof Error ? error.message : String(error);
    return new DependencyUnavailableError(delayMs, `NATS is unavailable: ${reason}`);
  }
}

function isBrokerAway(error: unknown): boolean {
  if (!(error instanceof NatsError)) return false;
  // "JetStream system temporarily unavailable" and kin come back as API errors with code 503.
  return BROKER_AWAY.has(error.code) || error.api_error?.code === 503;
}

function apiErrorCode(error: unknown): number | undefined {
  return error instanceof NatsError ? error.api_error?.err_code : undefined;
}
