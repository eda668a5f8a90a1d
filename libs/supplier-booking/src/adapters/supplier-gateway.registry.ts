import { BudgetRestGateway } from './budget-rest.gateway';
import { EuropcarGateway } from './europcar.gateway';
import { HertzOtaGateway } from './hertz-ota.gateway';
import { SupplierGateway } from '../supplier-gateway';
import { SuppliersConfig } from '../suppliers.config';

/** Supplier code → its gateway. Adding a supplier: one adapter, one line here. */
const REGISTRY: Record<string, (config: SuppliersConfig, timeoutMs: number) => SupplierGateway> = {
  HERTZ: (c, timeoutMs) => new HertzOtaGateway({ ...c.hertz, timeoutMs }),
  BUDGET: (c, timeoutMs) => new BudgetRestGateway({ ...c.budget, timeoutMs }),
  EUROPCAR: (c, timeoutMs) => new EuropcarGateway({ ...c.europcar, timeoutMs }),
};

/** The adapters' own timeout is a backstop: the resilience policy times each call first. */
const BACKSTOP_MS = 1000;

/** Chooses the gateway by supplier code (the ghostfolio-style registry of providers). */
export class SupplierGatewayRegistry {
  private readonly gateways: Map<string, SupplierGateway>;

  constructor(config: SuppliersConfig) {
    this.gateways = new Map(Object.entries(REGISTRY).map(([code, build]) => [code, build(config, config.timeoutMs + BACKSTOP_MS)]));
  }

  for(supplierCode: string): SupplierGateway {
    const gateway = this.gateways.get(supplierCode);
    if (!gateway) throw new Error(`No gateway for supplier ${supplierCode}`);
    return gateway;
  }

  codes(): string[] {
    return [...this.gateways.keys()];
  }
}
