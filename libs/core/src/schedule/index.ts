export { backgroundConfig, registerInterval } from './register-interval';
export type { BackgroundConfig } from './register-interval';
