import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import nock from 'nock';
import { CloudEvent, HTTP } from 'cloudevents';
import { ConfigError, createFunction, type RunningFunction } from '@premiere/runtime';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  eventAuthorization,
  eventually,
  testEnv,
  type TestDatabase,
} from '@premiere/testing';
import { createPaymentProvider } from '@premiere/simulators';
import { processPayment } from '../src';

const PROVIDER = 'http://provider.test';
let db: TestDatabase;
let sqlClient: pg.Client;
const redis = createTestRedisPrefix();
const running: RunningFunction[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  sqlClient = new pg.Client({ connectionString: db.url });
  await sqlClient.connect();
  await sqlClient.query('SET search_path TO process_payment');
});
afterEach(() => {
  nock.cleanAll();
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(running.splice(0).map((f) => f.stop()));
  await sqlClient.end();
  await db.drop();
  await redis.clean();
});

const sql = async (text: string, values: unknown[] = []) => (await sqlClient.query(text, values)).rows;

/** A process-payment process in this test, against `provider` (nock's by default). */
async function worker(env: Record<string, string> = {}) {
  const logs = captureLogs();
  const fn = createFunction(
    processPayment,
    testEnv(db, redis.prefix, {
      PAYMENT_PROVIDER_URL: PROVIDER,
      PAYMENT_PROVIDER_API_KEY: 'sk_test_0123456789',
      PAYMENT_TIMEOUT_MS: '300',
      PAYMENT_GIVE_UP_SECONDS: '3',
      ...env,
    }),
    logs.stream,
  );
  running.push(fn);
  await fn.start();
  return { url: `http://127.0.0.1:${fn.server.info.port}`, logs };
}

/** What reserve-seat sends when the buyer pays. */
function paymentRequested(over: Record<string, unknown> = {}) {
  const orderId = randomUUID();
  return {
    paymentId: `${orderId}:1`,
    orderId,
    showId: 'some-show',
    attempt: 1,
    amountCents: 10_000,
    currency: 'BRL',
    paymentToken: 'tok_visa',
    holdExpiresAt: new Date(Date.now() + 120_000).toISOString(),
    ...over,
  };
}

async function deliver(url: string, type: string, data: unknown, id = randomUUID()) {
  const m = HTTP.binary(new CloudEvent({ id, type, source: '/premiere/reserve-seat', data }));
  return fetch(`${url}/events`, {
    method: 'POST',
    headers: { ...(m.headers as Record<string, string>), authorization: eventAuthorization('process-payment') },
    body: m.body as string,
  });
}

const eventsAbout = (paymentId: string) =>
  sql("SELECT type, data FROM outbox WHERE data->>'paymentId' = $1 ORDER BY id", [paymentId]);
const chargeKey = (paymentId: string) => `premiere-charge-${paymentId}`;
const approved = (id = 'pay_1') => ({ id, status: 'approved', decline_code: null, amount: 10_000, currency: 'BRL' });

describe('charging', () => {
  it('approves: one charge with the payment’s key and the API key, the outcome and its event committed together, every call recorded', async () => {
    const { url, logs } = await worker();
    const req = paymentRequested();
    const provider = nock(PROVIDER, {
      reqheaders: { 'idempotency-key': chargeKey(req.paymentId), authorization: 'Bearer sk_test_0123456789' },
    })
      .post('/v1/payments', { amount: 10_000, currency: 'BRL', payment_method: 'tok_visa', reference: req.orderId })
      .reply(201, approved('pay_approve'));
    expect((await deliver(url, 'premiere.payment.requested', req)).status).toBe(204);
    expect(provider.isDone()).toBe(true);
    expect(
      await sql('SELECT state, reason, provider_payment_id, order_id FROM payments WHERE id = $1', [req.paymentId]),
    ).toEqual([{ state: 'approved', reason: null, provider_payment_id: 'pay_approve', order_id: req.orderId }]);
    expect(await eventsAbout(req.paymentId)).toEqual([
      {
        type: 'premiere.payment.approved',
        data: {
          paymentId: req.paymentId,
          orderId: req.orderId,
          attempt: 1,
          amountCents: 10_000,
          currency: 'BRL',
          providerPaymentId: 'pay_approve',
        },
      },
    ]);
    expect(
      await sql('SELECT operation, http_status, outcome FROM provider_calls WHERE payment_id = $1', [req.paymentId]),
    ).toEqual([{ operation: 'charge', http_status: 201, outcome: 'answered' }]);
    // The card's token and the API key are never logged.
    expect(logs.raw.join('\n')).not.toMatch(/tok_visa|sk_test_0123456789/);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/premiere_payments_total\{outcome="approved"\} 1/);
    expect(metrics).toMatch(/premiere_payment_provider_seconds_count\{operation="charge"\} 1/);
  });

  it('declines with a reason the buyer can read, and never retries a decline', async () => {
    const { url } = await worker();
    const [a, b] = [
      paymentRequested({ paymentToken: 'tok_decline' }),
      paymentRequested({ paymentToken: 'tok_insufficient_funds' }),
    ];
    nock(PROVIDER)
      .post('/v1/payments', (body) => body.payment_method === 'tok_decline')
      .once()
      .reply(402, { id: 'pay_d1', status: 'declined', decline_code: 'card_declined' })
      .post('/v1/payments', (body) => body.payment_method === 'tok_insufficient_funds')
      .once()
      .reply(402, { id: 'pay_d2', status: 'declined', decline_code: 'insufficient_funds' });
    expect((await deliver(url, 'premiere.payment.requested', a)).status).toBe(204);
    expect((await deliver(url, 'premiere.payment.requested', b)).status).toBe(204);
    expect(await eventsAbout(a.paymentId)).toEqual([
      {
        type: 'premiere.payment.rejected',
        data: { paymentId: a.paymentId, orderId: a.orderId, attempt: 1, reason: 'declined' },
      },
    ]);
    expect((await eventsAbout(b.paymentId))[0].data.reason).toBe('insufficient funds');
    expect(await sql('SELECT state FROM payments WHERE id = ANY($1)', [[a.paymentId, b.paymentId]])).toEqual([
      { state: 'declined' },
      { state: 'declined' },
    ]);
    expect(
      await sql('SELECT count(*)::int AS n FROM provider_calls WHERE payment_id = ANY($1)', [
        [a.paymentId, b.paymentId],
      ]),
    ).toEqual([{ n: 2 }]);
  });

  it('retries a timed-out charge with the same idempotency key: the provider charges once', async () => {
    const { url } = await worker({ PAYMENT_TIMEOUT_MS: '300' });
    const req = paymentRequested();
    const keys: string[] = [];
    nock(PROVIDER)
      .post('/v1/payments')
      .delay(1_000)
      .reply(function () {
        keys.push(String(this.req.headers['idempotency-key']));
        return [201, approved('pay_once')];
      })
      .post('/v1/payments')
      .reply(function () {
        keys.push(String(this.req.headers['idempotency-key']));
        return [201, approved('pay_once')];
      });
    expect((await deliver(url, 'premiere.payment.requested', req)).status).toBe(204);
    await eventually(() => keys.length === 2, 2_000);
    expect(keys).toEqual([chargeKey(req.paymentId), chargeKey(req.paymentId)]);
    expect((await sql('SELECT state FROM payments WHERE id = $1', [req.paymentId]))[0].state).toBe('approved');
    expect((await eventsAbout(req.paymentId)).map((e) => e.type)).toEqual(['premiere.payment.approved']);
    expect(
      (await sql('SELECT outcome FROM provider_calls WHERE payment_id = $1 ORDER BY id', [req.paymentId])).map(
        (r) => r.outcome,
      ),
    ).toEqual(['timeout', 'answered']);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(
      /premiere_payment_provider_retries_total\{operation="charge"\} 1/,
    );
  });

  it('gives up on a provider answering 500 before the buyer’s hold runs out: failed, provider unavailable', async () => {
    const { url } = await worker({ PAYMENT_GIVE_UP_SECONDS: '60' });
    // The hold has 13 s left: the payment must fail 10 s before it, so within about 3 s.
    const req = paymentRequested({ holdExpiresAt: new Date(Date.now() + 13_000).toISOString() });
    const charges = nock(PROVIDER).post('/v1/payments').times(100).reply(500, { error: 'processing_error' });
    const lookup = nock(PROVIDER)
      .get('/v1/payments')
      .query({ idempotency_key: chargeKey(req.paymentId) })
      .reply(404, { error: 'no payment with that idempotency key' });
    const started = Date.now();
    expect((await deliver(url, 'premiere.payment.requested', req)).status).toBe(204);
    const took = Date.now() - started;
    expect(took).toBeGreaterThan(2_000);
    expect(took).toBeLessThan(5_000);
    expect(lookup.isDone()).toBe(true); // a 500 may have charged: asked before failing
    expect(100 - charges.pendingMocks().length).toBeGreaterThan(1); // retried
    expect(await sql('SELECT state, reason, outcome_unknown FROM payments WHERE id = $1', [req.paymentId])).toEqual([
      { state: 'failed', reason: 'provider unavailable', outcome_unknown: false },
    ]);
    expect(await eventsAbout(req.paymentId)).toEqual([
      {
        type: 'premiere.payment.rejected',
        data: { paymentId: req.paymentId, orderId: req.orderId, attempt: 1, reason: 'provider unavailable' },
      },
    ]);
  });

  it('charges once however often the request is delivered, one after another or at the same time', async () => {
    const { url } = await worker();
    const req = paymentRequested();
    const provider = nock(PROVIDER).post('/v1/payments').once().reply(201, approved('pay_dup'));
    const id = randomUUID();
    expect((await deliver(url, 'premiere.payment.requested', req, id)).status).toBe(204);
    expect((await deliver(url, 'premiere.payment.requested', req, id)).status).toBe(204); // the same delivery again
    expect((await deliver(url, 'premiere.payment.requested', req)).status).toBe(204); // a new delivery id
    expect(provider.isDone()).toBe(true);
    expect((await eventsAbout(req.paymentId)).map((e) => e.type)).toEqual(['premiere.payment.approved']);

    // At the same time, against the provider simulator (which keeps the first answer per key).
    const sim = createPaymentProvider({ port: 0, latencyMs: [100, 100], hangMs: 0 });
    await sim.start();
    try {
      const other = await worker({
        PAYMENT_PROVIDER_URL: `http://127.0.0.1:${sim.info.port}`,
        PAYMENT_PROVIDER_API_KEY: '',
      });
      const req2 = paymentRequested();
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => deliver(other.url, 'premiere.payment.requested', req2)),
      );
      expect(answers.map((a) => a.status)).toEqual([204, 204, 204, 204, 204]);
      const stats = await (await fetch(`http://127.0.0.1:${sim.info.port}/stats`)).json();
      expect(stats.charges).toBe(1);
      expect((await eventsAbout(req2.paymentId)).map((e) => e.type)).toEqual(['premiere.payment.approved']);
    } finally {
      await sim.stop();
    }
  });

  it('loses nothing and charges once when the worker is killed after the provider charged, before we recorded it', async () => {
    const sim = createPaymentProvider({ port: 0, latencyMs: [10, 10], hangMs: 1_500 }); // tok_timeout: charged, then the answer hangs
    await sim.start();
    const simUrl = `http://127.0.0.1:${sim.info.port}`;
    try {
      const env = testEnv(db, redis.prefix, {
        PAYMENT_PROVIDER_URL: simUrl,
        PAYMENT_TIMEOUT_MS: '10000',
        LOG_LEVEL: 'warn',
      });
      // The built packages, by their names, from the repository's root (as a container runs them).
      const script = `
        const { createFunction } = require('@premiere/runtime');
        const { processPayment } = require('@premiere/process-payment');
        const fn = createFunction(processPayment, process.env);
        fn.start().then(() => process.stdout.write('port ' + fn.server.info.port + '\\n'));`;
      const child = spawn(process.execPath, ['-e', script], {
        cwd: path.resolve(__dirname, '../../..'),
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      const port = await new Promise<string>((resolve) =>
        child.stdout!.on('data', (d) => {
          const m = /port (\d+)/.exec(String(d));
          if (m) resolve(m[1]);
        }),
      );
      const req = paymentRequested({ paymentToken: 'tok_timeout' });
      const eventId = randomUUID();
      void deliver(`http://127.0.0.1:${port}`, 'premiere.payment.requested', req, eventId).catch(() => undefined);
      await eventually(async () => (await (await fetch(`${simUrl}/stats`)).json()).charges === 1, 5_000, 20);
      child.kill('SIGKILL'); // the provider charged; its answer never reached us
      expect((await sql('SELECT state FROM payments WHERE id = $1', [req.paymentId]))[0].state).toBe('authorising');
      expect(await eventsAbout(req.paymentId)).toEqual([]);

      // The broker redelivers the same event to another worker.
      const { url } = await worker({
        PAYMENT_PROVIDER_URL: simUrl,
        PAYMENT_TIMEOUT_MS: '5000',
        PAYMENT_PROVIDER_API_KEY: '',
      });
      expect((await deliver(url, 'premiere.payment.requested', req, eventId)).status).toBe(204);
      const stats = await (await fetch(`${simUrl}/stats`)).json();
      expect(stats).toMatchObject({ charges: 1, replays: 1 });
      expect((await sql('SELECT state FROM payments WHERE id = $1', [req.paymentId]))[0].state).toBe('approved');
      expect((await eventsAbout(req.paymentId)).map((e) => e.type)).toEqual(['premiere.payment.approved']);
    } finally {
      await sim.stop();
    }
  });

  it('refuses malformed events with 400 and changes nothing', async () => {
    const { url, logs } = await worker();
    const before = await sql(
      'SELECT (SELECT count(*) FROM payments)::int AS payments, (SELECT count(*) FROM outbox)::int AS events',
    );
    const good = paymentRequested();
    for (const bad of [
      { ...good, paymentToken: undefined },
      { ...good, paymentToken: '4111 1111 1111 1111' },
      { ...good, amountCents: 0 },
      { ...good, currency: 'brl' },
      { ...good, paymentId: 'not-a-payment' },
      { ...good, holdExpiresAt: 'tomorrow' },
    ]) {
      const res = await deliver(url, 'premiere.payment.requested', bad);
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatch(/invalid data for premiere.payment.requested/);
    }
    expect((await deliver(url, 'premiere.refund.requested', { orderId: good.orderId })).status).toBe(400);
    expect(
      (
        await fetch(`${url}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: eventAuthorization('process-payment') },
          body: '{}',
        })
      ).status,
    ).toBe(400);
    expect(
      await sql(
        'SELECT (SELECT count(*) FROM payments)::int AS payments, (SELECT count(*) FROM outbox)::int AS events',
      ),
    ).toEqual(before);
    expect(logs.raw.join('\n')).not.toContain('4111');
  });
});

describe('refunds', () => {
  it('refunds an approved payment once, however often it is asked, and says so', async () => {
    const { url } = await worker();
    const req = paymentRequested();
    nock(PROVIDER).post('/v1/payments').reply(201, approved('pay_refund_me'));
    await deliver(url, 'premiere.payment.requested', req);
    const refund = nock(PROVIDER, { reqheaders: { 'idempotency-key': `premiere-refund-${req.paymentId}` } })
      .post('/v1/payments/pay_refund_me/refunds')
      .once()
      .reply(201, { id: 're_1', payment_id: 'pay_refund_me', amount: 10_000, status: 'succeeded' });
    const ask = {
      orderId: req.orderId,
      paymentId: req.paymentId,
      amountCents: 10_000,
      currency: 'BRL',
      reason: 'the seats were lost before the payment was approved',
    };
    expect((await deliver(url, 'premiere.refund.requested', ask)).status).toBe(204);
    expect((await deliver(url, 'premiere.refund.requested', ask)).status).toBe(204);
    expect(refund.isDone()).toBe(true);
    expect(await sql('SELECT state, provider_refund_id FROM refunds WHERE payment_id = $1', [req.paymentId])).toEqual([
      { state: 'refunded', provider_refund_id: 're_1' },
    ]);
    expect((await eventsAbout(req.paymentId)).map((e) => e.type)).toEqual([
      'premiere.payment.approved',
      'premiere.refund.completed',
    ]);
    expect((await eventsAbout(req.paymentId))[1].data).toEqual({
      orderId: req.orderId,
      paymentId: req.paymentId,
      amountCents: 10_000,
      currency: 'BRL',
      providerRefundId: 're_1',
    });
  });

  it('ignores a refund for a payment it never approved', async () => {
    const { url } = await worker();
    const ask = {
      orderId: randomUUID(),
      paymentId: `${randomUUID()}:1`,
      amountCents: 100,
      currency: 'BRL',
      reason: 'x',
    };
    expect((await deliver(url, 'premiere.refund.requested', ask)).status).toBe(204);
    expect(await sql('SELECT * FROM refunds WHERE payment_id = $1', [ask.paymentId])).toEqual([]);
  });
});

describe('reconciliation', () => {
  const ping = (url: string) => deliver(url, 'dev.knative.sources.ping', { schedule: 'reconciliation' });

  it('settles payments stuck in authorising by asking the provider, and approves a failed one the provider did charge', async () => {
    const { url } = await worker({ PAYMENT_STUCK_SECONDS: '60' });
    const [charged, never, late, fresh] = [
      paymentRequested(),
      paymentRequested(),
      paymentRequested(),
      paymentRequested(),
    ];
    const insert = (p: ReturnType<typeof paymentRequested>, state: string, ago: number, unknown = false) =>
      sql(
        `INSERT INTO payments (id, order_id, attempt, amount_cents, currency, payment_token, state, reason, outcome_unknown, give_up_at, created_at, updated_at)
           VALUES ($1, $2, 1, 10000, 'BRL', 'tok_visa', $3, $4, $5, now(), now() - make_interval(secs => $6), now() - make_interval(secs => $6))`,
        [p.paymentId, p.orderId, state, state === 'failed' ? 'provider unavailable' : null, unknown, ago],
      );
    await insert(charged, 'authorising', 300); // a worker died after the provider charged
    await insert(never, 'requested', 300); // a worker died before asking
    await insert(late, 'failed', 300, true); // gave up without an answer; the charge went through after all
    await insert(fresh, 'authorising', 5); // still being worked on: left alone
    const lookups = nock(PROVIDER)
      .get('/v1/payments')
      .query({ idempotency_key: chargeKey(charged.paymentId) })
      .reply(200, approved('pay_stuck'))
      .get('/v1/payments')
      .query({ idempotency_key: chargeKey(never.paymentId) })
      .reply(404, { error: 'no payment with that idempotency key' })
      .get('/v1/payments')
      .query({ idempotency_key: chargeKey(late.paymentId) })
      .reply(200, approved('pay_late'));
    expect((await ping(url)).status).toBe(204);
    expect(lookups.isDone()).toBe(true);
    const states = await sql('SELECT id, state, reason, outcome_unknown FROM payments WHERE id = ANY($1)', [
      [charged.paymentId, never.paymentId, late.paymentId, fresh.paymentId],
    ]);
    const byId = Object.fromEntries(states.map((s) => [s.id, s]));
    expect(byId[charged.paymentId]).toMatchObject({ state: 'approved' });
    expect(byId[never.paymentId]).toMatchObject({ state: 'failed', reason: 'provider unavailable' });
    expect(byId[late.paymentId]).toMatchObject({ state: 'approved', outcome_unknown: false });
    expect(byId[fresh.paymentId]).toMatchObject({ state: 'authorising' });
    expect((await eventsAbout(charged.paymentId)).map((e) => e.type)).toEqual(['premiere.payment.approved']);
    expect((await eventsAbout(never.paymentId)).map((e) => e.type)).toEqual(['premiere.payment.rejected']);
    expect((await eventsAbout(late.paymentId)).map((e) => e.type)).toEqual(['premiere.payment.approved']);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(
      /premiere_payments_reconciled_total\{outcome="approved"\} 1/,
    );

    // The next run finds nothing left to settle (and asks the provider nothing).
    expect((await ping(url)).status).toBe(204);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('announces an approval again until reserve-seat acknowledges it, then never again', async () => {
    const { url } = await worker({ PAYMENT_STUCK_SECONDS: '60' });
    const [unheard, heard] = [paymentRequested(), paymentRequested()];
    for (const p of [unheard, heard]) {
      await sql(
        `INSERT INTO payments (id, order_id, attempt, amount_cents, currency, payment_token, state, provider_payment_id, give_up_at, created_at, updated_at)
           VALUES ($1, $2, 1, 10000, 'BRL', 'tok_visa', 'approved', 'pay_x', now(), now() - interval '300 seconds', now() - interval '300 seconds')`,
        [p.paymentId, p.orderId],
      );
    }
    expect(
      (
        await deliver(url, 'premiere.payment.settled', {
          paymentId: heard.paymentId,
          orderId: heard.orderId,
          outcome: 'confirmed',
        })
      ).status,
    ).toBe(204);
    expect((await ping(url)).status).toBe(204);
    expect(await eventsAbout(heard.paymentId)).toEqual([]);
    const [again] = await eventsAbout(unheard.paymentId);
    expect(again).toEqual({
      type: 'premiere.payment.approved',
      data: {
        paymentId: unheard.paymentId,
        orderId: unheard.orderId,
        attempt: 1,
        amountCents: 10000,
        currency: 'BRL',
        providerPaymentId: 'pay_x',
      },
    });
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(
      /premiere_payments_reconciled_total\{outcome="approval_resent"\} 1/,
    );

    // Not again before another stuck interval; acknowledged (twice: delivery is at least once), never.
    expect((await ping(url)).status).toBe(204);
    expect(await eventsAbout(unheard.paymentId)).toHaveLength(1);
    for (let i = 0; i < 2; i++)
      expect(
        (
          await deliver(url, 'premiere.payment.settled', {
            paymentId: unheard.paymentId,
            orderId: unheard.orderId,
            outcome: 'confirmed',
          })
        ).status,
      ).toBe(204);
    await sql("UPDATE payments SET announced_at = now() - interval '300 seconds' WHERE id = $1", [unheard.paymentId]);
    expect((await ping(url)).status).toBe(204);
    expect(await eventsAbout(unheard.paymentId)).toHaveLength(1);
    expect(
      (
        await deliver(url, 'premiere.payment.settled', {
          paymentId: 'nope',
          orderId: unheard.orderId,
          outcome: 'confirmed',
        })
      ).status,
    ).toBe(400);
  });

  it('refunds a charge reserve-seat found without tickets even when its refund request was lost (dead-lettered)', async () => {
    const { url } = await worker({ PAYMENT_STUCK_SECONDS: '60' });
    const lost = {
      seats_lost: paymentRequested(),
      paid_twice: paymentRequested(),
      not_requested: paymentRequested(),
      confirmed: paymentRequested(),
      settled_already: paymentRequested(),
    };
    for (const [outcome, p] of Object.entries(lost)) {
      await sql(
        `INSERT INTO payments (id, order_id, attempt, amount_cents, currency, payment_token, state, provider_payment_id, give_up_at, created_at, updated_at)
           VALUES ($1, $2, 1, 10000, 'BRL', 'tok_visa', 'approved', $3, now(), now() - interval '300 seconds', now() - interval '300 seconds')`,
        [p.paymentId, p.orderId, `pay_${outcome}`],
      );
      // reserve-seat settled each approval; its premiere.refund.requested never arrived.
      expect(
        (await deliver(url, 'premiere.payment.settled', { paymentId: p.paymentId, orderId: p.orderId, outcome }))
          .status,
      ).toBe(204);
    }
    // Reconciliation, a stuck interval later, gives back every charge that has no tickets: once each.
    const ours = Object.values(lost).map((p) => p.paymentId);
    await sql("UPDATE refunds SET updated_at = now() - interval '300 seconds' WHERE payment_id = ANY($1)", [ours]);
    const refunded = ['seats_lost', 'paid_twice', 'not_requested'].map((outcome) =>
      nock(PROVIDER, {
        reqheaders: { 'idempotency-key': `premiere-refund-${lost[outcome as keyof typeof lost].paymentId}` },
      })
        .post(`/v1/payments/pay_${outcome}/refunds`)
        .once()
        .reply(201, { id: `re_${outcome}`, payment_id: `pay_${outcome}`, amount: 10_000, status: 'succeeded' }),
    );
    expect((await ping(url)).status).toBe(204);
    for (const r of refunded) expect(r.isDone()).toBe(true);
    const refunds = await sql('SELECT payment_id, state, amount_cents FROM refunds WHERE payment_id = ANY($1)', [ours]);
    const byId = (a: { payment_id: string }, b: { payment_id: string }) => (a.payment_id < b.payment_id ? -1 : 1);
    expect(refunds.sort(byId)).toEqual(
      ['seats_lost', 'paid_twice', 'not_requested']
        .map((o) => ({ payment_id: lost[o as keyof typeof lost].paymentId, state: 'refunded', amount_cents: 10_000 }))
        .sort(byId),
    );
    expect((await eventsAbout(lost.seats_lost.paymentId)).map((e) => e.type)).toEqual(['premiere.refund.completed']);
    // The refund request arriving late changes nothing.
    expect(
      (
        await deliver(url, 'premiere.refund.requested', {
          orderId: lost.seats_lost.orderId,
          paymentId: lost.seats_lost.paymentId,
          amountCents: 10_000,
          currency: 'BRL',
          reason: 'the seats were lost before the payment was approved',
        })
      ).status,
    ).toBe(204);
    expect(await eventsAbout(lost.seats_lost.paymentId)).toHaveLength(1);
  });

  it('fails a payment whose charge went unanswered and could not be looked up, then finds the charge later', async () => {
    const { url } = await worker({ PAYMENT_STUCK_SECONDS: '10' });
    const req = paymentRequested({ holdExpiresAt: new Date(Date.now() + 12_000).toISOString() }); // give up within 2 s
    nock(PROVIDER).post('/v1/payments').times(100).delay(400).reply(201, approved('pay_silent'));
    nock(PROVIDER).get('/v1/payments').query(true).times(10).reply(503, { error: 'service_unavailable' });
    expect((await deliver(url, 'premiere.payment.requested', req)).status).toBe(204);
    expect(await sql('SELECT state, reason, outcome_unknown FROM payments WHERE id = $1', [req.paymentId])).toEqual([
      { state: 'failed', reason: 'provider unavailable', outcome_unknown: true },
    ]);
    nock.cleanAll();
    await sql("UPDATE payments SET updated_at = now() - interval '1 minute' WHERE id = $1", [req.paymentId]);
    nock(PROVIDER)
      .get('/v1/payments')
      .query({ idempotency_key: chargeKey(req.paymentId) })
      .reply(200, approved('pay_silent'));
    expect((await ping(url)).status).toBe(204);
    expect((await eventsAbout(req.paymentId)).map((e) => e.type)).toEqual([
      'premiere.payment.rejected',
      'premiere.payment.approved',
    ]);
  });
});

describe('configuration', () => {
  it('refuses to start when reconciliation could settle a payment its worker is still retrying', () => {
    const env = testEnv(db, redis.prefix, {
      PAYMENT_PROVIDER_URL: PROVIDER,
      PAYMENT_GIVE_UP_SECONDS: '60',
      PAYMENT_TIMEOUT_MS: '5000',
      PAYMENT_STUCK_SECONDS: '65',
    });
    expect(() => createFunction(processPayment, env)).toThrow(
      new ConfigError(
        'PAYMENT_STUCK_SECONDS',
        "PAYMENT_STUCK_SECONDS must be longer than PAYMENT_GIVE_UP_SECONDS plus one call's timeout (65 s now), got 65",
      ),
    );
  });
});
