export * from './configure-app';
export * from './validation';
export * from './page-query';
export * from './max-code-points';
export * from './request-shape';
