import Joi from 'joi';
import { operatorEnv, tokenEnv, type EnvSpec } from '@premiere/runtime';
import { legacyEnv } from './legacy/env';

/** reserve-seat's variables: the legacy system's, the token keys, the operators' token, and its own (see the README). */
export const reserveSeatEnv = {
  ...legacyEnv,
  ...tokenEnv,
  ...operatorEnv,
  HOLD_SECONDS: {
    schema: Joi.number().integer().min(10).max(3_600).default(120),
    expect: 'seconds seats stay held for a buyer (10-3600; never more than the legacy system’s own hold, which wins if shorter)',
  },
  MAX_SEATS_PER_ORDER: { schema: Joi.number().integer().min(1).max(20).default(6), expect: 'seats one order may hold (1-20)' },
  SEATMAP_CACHE_MS: { schema: Joi.number().integer().min(0).max(60_000).default(2_000), expect: 'milliseconds a show’s seat statuses from the legacy system are reused (0-60000)' },
  ZONE_VISIT_SECONDS: {
    schema: Joi.number().integer().min(30).max(3_600).default(300),
    expect: 'seconds a visitor who entered seat selection keeps their zone slot without holding seats, and their zone pass lasts (30-3600)',
  },
} satisfies EnvSpec;

export type ReserveSeatEnv = typeof reserveSeatEnv;
