import { readFileSync } from 'node:fs';
import path from 'node:path';
import { admitBatch } from '@premiere/admit-batch';
import { EVENT_CONTRACTS } from '@premiere/contracts';
import { issueToken } from '@premiere/issue-token';
import { processPayment } from '@premiere/process-payment';
import { renderCatalog } from '@premiere/render-catalog';
import { reserveSeat } from '@premiere/reserve-seat';
import { listFunctions, migrateEnv, runtimeEnv } from '@premiere/runtime';
import { legacyCinemaEnv, paymentProviderEnv } from '@premiere/simulators';
import { brokerEnv, edgeEnv, stackEnv } from '../src/env';
import { catalogEnv } from '@premiere/render-catalog/env';
import { issueTokenEnv } from '@premiere/issue-token/env';
import { admitBatchEnv } from '@premiere/admit-batch/env';
import { reserveSeatEnv } from '@premiere/reserve-seat/env';
import { durationMs, loadEventing, loadRoutes } from '../src/declarations';
import { decide, publicFunctions } from '../src/edge';

describe('the declared eventing (helm/premiere/eventing.yaml)', () => {
  it('is valid and names only real functions', () => {
    const eventing = loadEventing();
    const functions = new Set(listFunctions());
    for (const s of [...eventing.subscriptions, ...eventing.schedules]) expect(functions).toContain(s.function);
    expect(durationMs(eventing.delivery.backoffDelay)).toBeGreaterThan(0);
  });
  it('subscribes only to event types that have a contract (packages/contracts)', () => {
    const contracts = new Set<string>(EVENT_CONTRACTS.map((c) => c.type));
    const filtered = loadEventing().subscriptions.map((s) => s.filter.type);
    expect(filtered.filter((t) => t === undefined || !contracts.has(t))).toEqual([]);
  });
  it('delivers each event type to every function that handles it, and to no other (the built functions)', () => {
    const definitions = [admitBatch, issueToken, processPayment, renderCatalog, reserveSeat];
    expect(definitions.map((d) => d.name).sort()).toEqual(listFunctions());
    const handled = definitions.flatMap((d) => Object.keys(d.events ?? {}).map((type) => `${d.name} ← ${type}`)).sort();
    const subscribed = loadEventing()
      .subscriptions.map((s) => `${s.function} ← ${s.filter.type}`)
      .sort();
    expect(subscribed).toEqual(handled);
  });
  it('parses Knative delivery durations', () => {
    expect(durationMs('PT0.5S')).toBe(500);
    expect(durationMs('PT2M')).toBe(120_000);
    expect(() => durationMs('5s')).toThrow('unsupported ISO-8601 duration');
  });
});

describe('the declared edge routes (helm/premiere/routes.yaml)', () => {
  const routes = loadRoutes();
  const get = (url: string) => decide(routes, { method: 'GET', url });
  it('routes by the longest matching prefix', () => {
    expect(get('/')).toEqual({ function: 'render-catalog', target: '/' });
    expect(get('/waiting-room/show-1')).toEqual({ function: 'issue-token', target: '/waiting-room/show-1' });
    expect(get('/checkout')).toEqual({ function: 'reserve-seat', target: '/checkout' });
    expect(get('/administrator')).toEqual({ function: 'render-catalog', target: '/administrator' }); // not under /admin
  });
  it('never exposes event delivery or metrics', () => {
    for (const p of ['/events', '/events/x', '/metrics'])
      expect(get(p)).toEqual({ status: 404, error: 'nothing is served here' });
  });
  it('answers the readiness of each function with a public route under the health path, and of no other', () => {
    expect(get('/_health/issue-token')).toEqual({ function: 'issue-token', target: '/readyz' });
    expect(publicFunctions(routes)).toEqual(['admit-batch', 'issue-token', 'render-catalog', 'reserve-seat']);
    expect(get('/_health/process-payment')).toEqual({ status: 404, error: 'no such function' });
  });
  it('gives no public route to process-payment', () => {
    expect(routes.routes.map((r) => r.function)).not.toContain('process-payment');
  });
});

describe('the README', () => {
  it('documents every environment variable the code reads', () => {
    const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    const names = [
      ...Object.keys(runtimeEnv),
      ...Object.keys(stackEnv),
      ...Object.keys(edgeEnv),
      ...Object.keys(brokerEnv),
      ...Object.keys(migrateEnv),
      ...Object.keys(catalogEnv),
      ...Object.keys(issueTokenEnv),
      ...Object.keys(admitBatchEnv),
      ...Object.keys(reserveSeatEnv),
      ...Object.keys(legacyCinemaEnv),
      ...Object.keys(paymentProviderEnv),
    ];
    const missing = [...new Set(names)].filter((n) => !readme.includes(`\`${n}\``));
    expect(missing).toEqual([]);
  });
});
