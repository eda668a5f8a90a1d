export * from './sandbox.module';
export * from './stripe-sandbox/stripe-objects';
export * from './stripe-sandbox/stripe-sandbox';
export * from './supplier-simulator/supplier-simulator';
