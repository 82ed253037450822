export * from './ids';
export * from './event';
export * from './events';
export * from './tokens';
export * from './sessions';
export * from './addresses';
export * from './listing';
export * from './legacy';
