export * from './adapters/budget-rest.gateway';
export * from './adapters/europcar.gateway';
export * from './adapters/hertz-ota.gateway';
export * from './supplier-gateway';
export * from './supplier-gateways';
export * from './suppliers.config';
