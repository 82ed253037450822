export * from './ids';
export * from './event';
export * from './events';
export * from './listing-keys';
