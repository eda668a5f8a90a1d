export * from './configure-app';
export * from './validation';
