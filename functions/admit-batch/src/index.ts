import type { FunctionDefinition } from '@premiere/runtime';
import { WAITING_ROOM_SCRIPTS } from '@premiere/waiting-room';
import { adminRoutes } from './admin';
import { createBouncer, type Bouncer } from './bouncer';
import { deadLetterRoutes } from './dead-letters';
import { admitBatchEnv, type AdmitBatchEnv } from './env';
import { admitBatchEvents, admitBatchSchedules } from './events';

/**
 * admit-batch: the bouncer. Admits visitors from a show's line into the protected zone, in order,
 * as fast as slots free up (events) and on a schedule (the safety net); the operators' API; and
 * the broker's dead letters, stored for operators to replay.
 */
export const admitBatch: FunctionDefinition<AdmitBatchEnv, Bouncer> = {
  name: 'admit-batch',
  env: admitBatchEnv,
  setup: createBouncer,
  routes: (ctx, bouncer) => [...adminRoutes(ctx, bouncer), ...deadLetterRoutes(ctx)],
  events: admitBatchEvents,
  schedules: admitBatchSchedules,
  redisScripts: WAITING_ROOM_SCRIPTS,
};
