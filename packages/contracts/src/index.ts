export * from './ids';
export * from './event';
export * from './events';
