import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The metrics every function exposes; each function adds its own to `registry`. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'premiere_http_request_duration_seconds',
      help: 'HTTP request duration by route and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    eventsReceived: new Counter({
      name: 'premiere_events_received_total',
      help: 'CloudEvents received, by type and outcome (handled, duplicate, rejected, failed)',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    eventsPublished: new Counter({
      name: 'premiere_events_published_total',
      help: 'Outbox events delivered to the broker, by type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    publishFailures: new Counter({
      name: 'premiere_event_publish_failures_total',
      help: 'Failed attempts to deliver an outbox event to the broker (retried by the relay)',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
