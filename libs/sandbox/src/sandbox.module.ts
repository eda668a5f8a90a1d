import { DynamicModule, Inject, Injectable, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { httpConfig, HttpConfig } from '@app/core';
import { stripeConfig, StripeConfig } from '@app/payments';
import { suppliersConfig, SuppliersConfig } from '@app/supplier-booking';
import { StripeSandbox } from './stripe-sandbox/stripe-sandbox';
import { SimulatedSupplier, SupplierSimulator } from './supplier-simulator/supplier-simulator';

/**
 * Serves the Stripe-compatible simulator over real HTTP when SANDBOX is on (the default
 * without a Stripe key), so that `npm start` takes and pays reservations with no account;
 * and a simulator of each supplier that has no SUPPLIER_*_URL, so that it books them too.
 */
@Injectable()
export class SandboxServers implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Sandbox');
  readonly stripe: StripeSandbox;
  readonly suppliers: SupplierSimulator[];

  constructor(
    @Inject(stripeConfig.KEY) private readonly stripeSettings: StripeConfig,
    @Inject(httpConfig.KEY) private readonly http: HttpConfig,
    @Inject(suppliersConfig.KEY) private readonly supplierSettings: SuppliersConfig,
  ) {
    this.suppliers = supplierSettings.simulated.map(({ code }) => new SupplierSimulator(code as SimulatedSupplier));
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
    for (const [index, simulator] of this.suppliers.entries()) {
      const { port: supplierPort } = await simulator.start(this.supplierSettings.simulated[index].port, this.http.host);
      this.logger.log({
        msg: `${simulator.supplier} simulator on http://127.0.0.1:${supplierPort}: faults with POST /sandbox/faults`,
      });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.serving) return;
    await this.stripe.stop();
    for (const simulator of this.suppliers) await simulator.stop();
  }
}

@Module({})
export class SandboxModule {
  static forRoot(): DynamicModule {
    return {
      module: SandboxModule,
      imports: [ConfigModule.forFeature(stripeConfig), ConfigModule.forFeature(suppliersConfig)],
      providers: [SandboxServers],
      exports: [SandboxServers],
    };
  }
}
