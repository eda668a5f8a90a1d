import { DynamicModule, Inject, Injectable, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { httpConfig, HttpConfig } from '@app/core';
import { stripeConfig, StripeConfig } from '@app/payments';
import { StripeSandbox } from './stripe-sandbox/stripe-sandbox';

/**
 * Serves the Stripe-compatible simulator over real HTTP when SANDBOX is on (the default
 * without a Stripe key), so that `npm start` takes and pays reservations with no account.
 */
@Injectable()
export class SandboxServers implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Sandbox');
  readonly stripe: StripeSandbox;

  constructor(
    @Inject(stripeConfig.KEY) private readonly stripeSettings: StripeConfig,
    @Inject(httpConfig.KEY) private readonly http: HttpConfig,
  ) {
    this.stripe = new StripeSandbox({
      webhookSecret: stripeSettings.webhookSecret,
      webhookUrl: `http://127.0.0.1:${http.port}/api/v1/webhooks/stripe`,
      logger: { log: (msg) => this.logger.log(msg), warn: (msg) => this.logger.warn(msg) },
    });
  }

  private get serving(): boolean {
    // In a cluster only the leader serves it: its state lives in that one process.
    return this.stripeSettings.sandbox && process.env.CLUSTER_LEADER !== '0';
  }

  async onModuleInit(): Promise<void> {
    if (!this.serving) return;
    const { port } = await this.stripe.start(this.stripeSettings.sandboxPort, this.http.host);
    const url = `http://127.0.0.1:${port}`;
    this.logger.log({
      msg: `Stripe sandbox on ${url}: pay a reservation with POST ${url}/sandbox/payment_intents/{id}/succeed`,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.serving) await this.stripe.stop();
  }
}

@Module({})
export class SandboxModule {
  static forRoot(): DynamicModule {
    return {
      module: SandboxModule,
      imports: [ConfigModule.forFeature(stripeConfig)],
      providers: [SandboxServers],
      exports: [SandboxServers],
    };
  }
}
