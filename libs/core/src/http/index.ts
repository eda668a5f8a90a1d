export * from './configure-app';
export * from './validation';
export * from './page-query';
