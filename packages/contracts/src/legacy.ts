/**
 * How busy the legacy seat system is kept, for the whole deployment (a hash of counters: busyMs,
 * waitedMs, calls, full, limit): written by reserve-seat's bulkhead, read by the waiting room's
 * bouncer to size the protected zone.
 */
export const LEGACY_USAGE_KEY = '{legacy}:usage';
/** reserve-seat's bulkhead in front of the legacy system: its calls in flight, by the end of their lease. */
export const LEGACY_BULKHEAD_KEY = '{legacy}:bulkhead';
