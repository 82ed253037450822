import { readFileSync } from 'node:fs';
import path from 'node:path';
import { listFunctions, migrateEnv, runtimeEnv } from '@premiere/runtime';
import { legacyCinemaEnv, paymentProviderEnv } from '@premiere/simulators';
import { stackEnv } from '../src/env';
import { catalogEnv } from '../../functions/render-catalog/src/env';
import { issueTokenEnv } from '../../functions/issue-token/src/env';
import { admitBatchEnv } from '../../functions/admit-batch/src/env';
import { reserveSeatEnv } from '../../functions/reserve-seat/src/env';
import { durationMs, loadEventing, loadRoutes } from '../src/declarations';
import { resolveRoute } from '../src/edge';

describe('the declared eventing (helm/premiere/eventing.yaml)', () => {
  it('is valid and names only real functions', () => {
    const eventing = loadEventing();
    const functions = new Set(listFunctions());
    for (const s of [...eventing.subscriptions, ...eventing.schedules]) expect(functions).toContain(s.function);
    expect(durationMs(eventing.delivery.backoffDelay)).toBeGreaterThan(0);
  });
  it('parses Knative delivery durations', () => {
    expect(durationMs('PT0.5S')).toBe(500);
    expect(durationMs('PT2M')).toBe(120_000);
    expect(() => durationMs('5s')).toThrow('unsupported ISO-8601 duration');
  });
});

describe('the declared edge routes (helm/premiere/routes.yaml)', () => {
  const routes = loadRoutes();
  it('routes by the longest matching prefix', () => {
    expect(resolveRoute(routes, '/')).toEqual({ function: 'render-catalog', path: '/' });
    expect(resolveRoute(routes, '/waiting-room/show-1')).toEqual({ function: 'issue-token', path: '/waiting-room/show-1' });
    expect(resolveRoute(routes, '/checkout')).toEqual({ function: 'reserve-seat', path: '/checkout' });
    expect(resolveRoute(routes, '/administrator')).toEqual({ function: 'render-catalog', path: '/administrator' }); // not under /admin
  });
  it('never exposes event delivery or metrics', () => {
    for (const p of ['/events', '/events/x', '/metrics']) expect(resolveRoute(routes, p)).toEqual({ blocked: true });
  });
  it('answers each function’s readiness under the health path', () => {
    expect(resolveRoute(routes, '/_health/process-payment')).toEqual({ function: 'process-payment', path: '/readyz' });
  });
  it('gives no public route to process-payment', () => {
    expect(routes.routes.map((r) => r.function)).not.toContain('process-payment');
  });
});

describe('the README', () => {
  it('documents every environment variable the code reads', () => {
    const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    const names = [...Object.keys(runtimeEnv), ...Object.keys(stackEnv), ...Object.keys(migrateEnv), ...Object.keys(catalogEnv), ...Object.keys(issueTokenEnv), ...Object.keys(admitBatchEnv), ...Object.keys(reserveSeatEnv), ...Object.keys(legacyCinemaEnv), ...Object.keys(paymentProviderEnv)];
    const missing = [...new Set(names)].filter((n) => !readme.includes(`\`${n}\``));
    expect(missing).toEqual([]);
  });
});
