import Joi from 'joi';
import type { EnvSpec } from '@premiere/runtime';

const seconds = (max: number) => Joi.number().integer().min(0).max(max);

/** render-catalog's own variables (see the README's table). */
export const catalogEnv = {
  CATALOG_TTL_SECONDS: {
    schema: seconds(86_400).min(1).default(300),
    expect: 'seconds a rendered page stays fresh in Redis (1-86400)',
  },
  CATALOG_STALE_SECONDS: {
    schema: seconds(86_400).default(60),
    expect: 'seconds a page past its TTL may still be served while it is re-rendered (0-86400)',
  },
  CATALOG_EDGE_MAX_AGE_SECONDS: {
    schema: seconds(3_600).default(30),
    expect: 'Cache-Control max-age / s-maxage for browsers and the edge (0-3600)',
  },
  CATALOG_MEMORY_MS: {
    schema: seconds(60_000).default(1_000),
    expect: 'milliseconds a page stays in the process’s own memory (0 turns it off; 0-60000)',
  },
  CATALOG_MEMORY_ENTRIES: {
    schema: Joi.number().integer().min(1).max(10_000).default(200),
    expect: 'pages kept in the process’s own memory (1-10000)',
  },
} satisfies EnvSpec;

export type CatalogEnv = typeof catalogEnv;
