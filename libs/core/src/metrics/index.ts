export * from './http-metrics.middleware';
export * from './metrics';
export * from './metrics.controller';
export * from './metrics.module';
