import Joi from 'joi';
import { runtimeEnv } from '@premiere/runtime';
import { latencyRange } from './common';

/** The simulators' environment variables (see the README's table). */
export const legacyCinemaEnv = {
  PORT: runtimeEnv.PORT,
  HOST: runtimeEnv.HOST,
  LOG_LEVEL: runtimeEnv.LOG_LEVEL,
  DATABASE_URL: { ...runtimeEnv.DATABASE_URL, expect: 'the PostgreSQL URL of the catalog the seat maps are read from' },
  LEGACY_LATENCY_MS: {
    schema: latencyRange.default('300-1500'),
    expect: 'a latency in ms, fixed ("500") or a range ("300-1500")',
  },
  LEGACY_CONCURRENCY_LIMIT: { schema: Joi.number().integer().min(1).default(10), expect: 'a positive integer' },
  LEGACY_HOLD_SECONDS: {
    schema: Joi.number().integer().min(1).default(120),
    expect: 'seconds a hold lasts (positive integer)',
  },
  LEGACY_OVERLOAD: {
    schema: Joi.string().valid('503', 'stall', 'mixed').default('mixed'),
    expect: 'one of 503, stall, mixed',
  },
  LEGACY_STALL_MS: {
    schema: Joi.number().integer().min(0).default(20_000),
    expect: 'milliseconds an overloaded call stalls before its 503',
  },
};

export const paymentProviderEnv = {
  PORT: runtimeEnv.PORT,
  HOST: runtimeEnv.HOST,
  LOG_LEVEL: runtimeEnv.LOG_LEVEL,
  PAYMENT_LATENCY_MS: {
    schema: latencyRange.default('50-300'),
    expect: 'a latency in ms, fixed ("100") or a range ("50-300")',
  },
  PAYMENT_HANG_MS: {
    schema: Joi.number().integer().min(0).default(30_000),
    expect: 'milliseconds tok_timeout keeps the caller waiting',
  },
  PAYMENT_PROVIDER_API_KEY: {
    schema: Joi.string().min(8),
    expect: 'an API key of 8 or more characters (unset: no key needed)',
    secret: true,
  },
};
