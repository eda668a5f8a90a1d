export { SandboxModule } from './sandbox.module';
export { signStripePayload } from './stripe-sandbox/stripe-objects';
export { StripeSandbox } from './stripe-sandbox/stripe-sandbox';
export { SupplierSimulator } from './supplier-simulator/supplier-simulator';
export type { SimulatedSupplier } from './supplier-simulator/supplier-simulator';
