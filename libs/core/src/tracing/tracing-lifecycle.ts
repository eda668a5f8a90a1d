import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { shutdownTracing } from './start-tracing';

/** At shutdown, after the last request and outbox run: the spans not yet exported go out. */
@Injectable()
export class TracingLifecycle implements OnApplicationShutdown {
  onApplicationShutdown(): Promise<void> {
    return shutdownTracing();
  }
}
