export * from './env';
export * from './bulkhead';
export * from './circuit-breaker';
export * from './client';
