import Joi from 'joi';
import type { EnvSpec } from '@premiere/runtime';

const seconds = (min: number, max: number) => Joi.number().integer().min(min).max(max);

/** The waiting room's settings, read by issue-token and admit-batch alike (see the README's table). */
export const waitingRoomEnv = {
  OVERBOOKING_DEFAULT: {
    schema: Joi.number().min(0).max(1).default(0.1),
    expect: 'extra tokens beyond a show’s seats, as a fraction (0-1), for shows that set none',
  },
  ZONE_CAPACITY_DEFAULT: {
    schema: Joi.number().integer().min(1).max(10_000).default(10),
    expect: 'visitors inside the protected zone at once, for cinemas that set none (1-10000)',
  },
  ZONE_CAPACITY_ADAPTIVE: {
    // Off by default: estimates are made from the zone's size at the time, so a zone that grows
    // afterwards makes them too long (docs/benchmarks.md).
    schema: Joi.boolean().default(false),
    expect:
      'true or false: whether the bouncer sizes each zone to keep the legacy system busy to its limit (from the catalog’s capacity up to ZONE_CAPACITY_MAX)',
  },
  ZONE_CAPACITY_MAX: {
    schema: Joi.number().integer().min(1).max(10_000).default(200),
    expect: 'the most visitors an adaptive zone lets in at once (1-10000)',
  },
  ADMISSION_TTL_SECONDS: {
    schema: seconds(1, 3_600).default(60),
    expect: 'seconds an admitted visitor has to start seat selection before the slot goes to the next (1-3600)',
  },
  GONE_AFTER_SECONDS: {
    schema: seconds(1, 3_600).default(90),
    expect: 'seconds without a status poll after which a waiting visitor is taken to have left (1-3600)',
  },
  STATUS_POLL_MAX_SECONDS: {
    schema: seconds(1, 600).default(20),
    expect:
      'the longest a waiting visitor is told to wait between polls (1-600; keep it well under GONE_AFTER_SECONDS and ADMISSION_TTL_SECONDS)',
  },
  RECOVERY_GRACE_SECONDS: {
    // Two of the longest intervals between polls, and a margin: a visitor whose page is open is back by then.
    schema: seconds(1, 3_600).default(45),
    expect:
      'seconds a room rebuilt after Redis forgot it waits for its visitors to come back before giving their tokens back and admitting again (1-3600; keep it above twice STATUS_POLL_MAX_SECONDS)',
  },
  ESTIMATE_VISIT_SECONDS: {
    // No default: unset, a line learns from the deployment's last sale (deployment-memory.ts).
    schema: seconds(1, 3_600),
    expect:
      'how long a visit to the zone is assumed to take until one of the show’s own visits has ended with an order (1-3600; unset: what buyers’ visits took in the deployment’s last sale, else 180)',
  },
  ESTIMATE_SEATS_PER_ORDER: {
    // No default: unset, a line learns it from the deployment's last count (deployment-memory.ts).
    schema: Joi.number().min(1).max(20),
    expect:
      'how many seats an order is assumed to take until reserve-seat has counted the show’s orders (1-20; unset: the deployment’s last count, else 2): wait estimates count only the people ahead whom the seats left can serve',
  },
} satisfies EnvSpec;

export type WaitingRoomEnv = typeof waitingRoomEnv;
