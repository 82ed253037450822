import Joi from 'joi';
import { operatorEnv, type EnvSpec } from '@premiere/runtime';
import { tokenEnv } from '@premiere/contracts';
import { legacyEnv } from './legacy/env';

/** reserve-seat's variables: the legacy system's, the token keys, the operators' token, and its own (see the README). */
export const reserveSeatEnv = {
  ...legacyEnv,
  ...tokenEnv,
  ...operatorEnv,
  HOLD_SECONDS: {
    schema: Joi.number().integer().min(10).max(3_600).default(120),
    expect:
      'seconds seats stay held for a buyer (10-3600; never more than the legacy system’s own hold, which wins if shorter)',
  },
  // No defaults here: seatsPerVisit() picks the new name, else the old one, else 6.
  MAX_SEATS_PER_VISIT: {
    schema: Joi.number().integer().min(1).max(20),
    expect: 'seats one visit to the zone may hold or buy, over all its orders (1-20)',
  },
  MAX_SEATS_PER_ORDER: {
    schema: Joi.number().integer().min(1).max(20),
    expect: 'the old name of MAX_SEATS_PER_VISIT, read when that is not set (1-20)',
  },
  SEATMAP_CACHE_MS: {
    schema: Joi.number().integer().min(0).max(60_000).default(2_000),
    expect: 'milliseconds a show’s seat statuses from the legacy system are reused (0-60000)',
  },
  ADDRESS_HELD_SEATS_SHARE: {
    schema: Joi.number().min(0).max(1).default(0.1),
    expect:
      'the share of a show’s seats one client address may hold unpaid at once (never less than a visit’s seats; 0 turns the limit off; 0-1)',
  },
  ZONE_VISIT_SECONDS: {
    schema: Joi.number().integer().min(30).max(3_600).default(300),
    expect:
      'seconds a visitor who entered seat selection keeps their zone slot without holding seats, and their zone pass lasts (30-3600)',
  },
} satisfies EnvSpec;

export type ReserveSeatEnv = typeof reserveSeatEnv;

/**
 * Seats one visit may have. Named per order before a visit could have only one order holding seats
 * at a time; a deployment that still sets the old name keeps its limit.
 */
export function seatsPerVisit(config: { MAX_SEATS_PER_VISIT?: number; MAX_SEATS_PER_ORDER?: number }): number {
  return config.MAX_SEATS_PER_VISIT ?? config.MAX_SEATS_PER_ORDER ?? 6;
}
