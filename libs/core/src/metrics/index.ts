export { httpMetricsMiddleware } from './http-metrics.middleware';
export { LATENCY_BUCKETS, Metrics } from './metrics';
export { MetricsModule } from './metrics.module';
