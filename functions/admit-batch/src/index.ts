import type { FunctionDefinition } from '@premiere/runtime';
import { WAITING_ROOM_SCRIPTS } from '@premiere/waiting-room';
import { adminRoutes } from './admin';
import { admitBatchEnv, type AdmitBatchEnv } from './env';
import { admitBatchEvents, admitBatchSchedules } from './events';

/**
 * admit-batch: the bouncer. Admits visitors from a show's line into the protected zone, in order,
 * as fast as slots free up (events) and on a schedule (the safety net); the operators' API.
 */
export const admitBatch: FunctionDefinition<AdmitBatchEnv> = {
  name: 'admit-batch',
  env: admitBatchEnv,
  routes: adminRoutes,
  events: admitBatchEvents,
  schedules: admitBatchSchedules,
  redisScripts: WAITING_ROOM_SCRIPTS,
};
