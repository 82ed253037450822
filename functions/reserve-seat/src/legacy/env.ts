import Joi from 'joi';
import type { EnvSpec } from '@premiere/runtime';

const ms = (min: number, max: number) => Joi.number().integer().min(min).max(max);

/** How reserve-seat reaches and protects the cinema's legacy seat system (see the README). */
export const legacyEnv = {
  LEGACY_URL: {
    schema: Joi.string()
      .uri({ scheme: ['http', 'https'] })
      .required(),
    expect: 'the legacy seat system’s base URL (http or https)',
  },
  LEGACY_CONCURRENCY: {
    schema: Joi.number().integer().min(1).max(1_000).default(10),
    expect: 'requests in flight to the legacy system at most, across every replica (1-1000)',
  },
  LEGACY_TIMEOUT_MS: {
    schema: ms(100, 120_000).default(4_000),
    expect: 'milliseconds before a legacy call is abandoned (100-120000)',
  },
  LEGACY_RETRIES: {
    schema: Joi.number().integer().min(0).max(10).default(3),
    expect: 'retries of a legacy call that met a 503, a timeout or a refused connection (0-10)',
  },
  LEGACY_SLOT_LEASE_MS: {
    schema: ms(1_000, 600_000).default(30_000),
    expect:
      'how long a bulkhead slot is held at most: a killed replica’s slot, or an abandoned call the legacy system may still be working on, comes back after it (1000-600000)',
  },
  LEGACY_SLOT_WAIT_MS: {
    schema: ms(0, 120_000).default(15_000),
    expect: 'how long a call waits for a bulkhead slot before the buyer is told the system is busy (0-120000)',
  },
  LEGACY_BREAKER_FAILURES: {
    schema: Joi.number().integer().min(1).max(100).default(5),
    expect: 'consecutive failed legacy calls that open the circuit (1-100)',
  },
  LEGACY_BREAKER_COOLDOWN_MS: {
    schema: ms(100, 600_000).default(5_000),
    expect: 'milliseconds the circuit stays open before one trial call (100-600000)',
  },
} satisfies EnvSpec;

export type LegacyEnv = typeof legacyEnv;
