import { randomUUID } from 'node:crypto';
import pg from 'pg';
import nock from 'nock';
import { CloudEvent, HTTP } from 'cloudevents';
import { createFunction, PING_EVENT_TYPE, type RunningFunction } from '@premiere/runtime';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  eventAuthorization,
  testEnv,
  type TestDatabase,
} from '@premiere/testing';
import { processPayment } from '../src';

/**
 * The security suite's payment door, process-payment's side: a payment request reserve-seat never
 * made (forged: attempt 7 of an order, one cent) is charged, since process-payment cannot tell;
 * reserve-seat then refuses the approval (not_requested, see reserve-seat's security suite) and
 * asks for a refund. Here: that answer is taken, the approval no longer announced, operators told,
 * and the charge refunded once, for what was charged and never more.
 */
const PROVIDER = 'http://provider.security.test';
let db: TestDatabase;
let sqlClient: pg.Client;
const redis = createTestRedisPrefix();
const running: RunningFunction[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  sqlClient = new pg.Client({ connectionString: db.url });
  await sqlClient.connect();
  await sqlClient.query('SET search_path TO process_payment');
});
afterEach(() => nock.cleanAll());
afterAll(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop()));
  await sqlClient.end();
  await db.drop();
  await redis.clean();
});

const sql = async (text: string, values: unknown[] = []) => (await sqlClient.query(text, values)).rows;

async function deliver(url: string, type: string, data: unknown) {
  const m = HTTP.binary(
    new CloudEvent({
      id: randomUUID(),
      type,
      source: type === PING_EVENT_TYPE ? '/premiere/pingsource' : '/premiere/reserve-seat',
      data,
    }),
  );
  return fetch(`${url}/events`, {
    method: 'POST',
    headers: { ...(m.headers as Record<string, string>), authorization: eventAuthorization('process-payment') },
    body: m.body as string,
  });
}

describe('a payment reserve-seat never requested', () => {
  it('is refunded once, for what was charged, when reserve-seat answers not_requested; no longer announced; operators told', async () => {
    const logs = captureLogs();
    const fn = createFunction(
      processPayment,
      testEnv(db, redis.prefix, {
        PAYMENT_PROVIDER_URL: PROVIDER,
        PAYMENT_TIMEOUT_MS: '300',
        PAYMENT_GIVE_UP_SECONDS: '3',
        PAYMENT_STUCK_SECONDS: '10',
      }),
      logs.stream,
    );
    running.push(fn);
    await fn.start();
    const url = `http://127.0.0.1:${fn.server.info.port}`;

    const orderId = randomUUID();
    const forged = {
      paymentId: `${orderId}:7`,
      orderId,
      showId: 'some-show',
      attempt: 7,
      amountCents: 1,
      currency: 'BRL',
      paymentToken: 'tok_visa',
      holdExpiresAt: new Date(Date.now() + 120_000).toISOString(),
    };
    nock(PROVIDER)
      .post('/v1/payments', { amount: 1, currency: 'BRL', payment_method: 'tok_visa', reference: orderId })
      .once()
      .reply(201, { id: 'pay_cent', status: 'approved', decline_code: null, amount: 1, currency: 'BRL' });
    expect((await deliver(url, 'premiere.payment.requested', forged)).status).toBe(204);
    expect(await sql('SELECT state FROM payments WHERE id = $1', [forged.paymentId])).toEqual([{ state: 'approved' }]);

    // reserve-seat's answer: it never asked for this. Acknowledged: not announced again.
    const settled = { paymentId: forged.paymentId, orderId, outcome: 'not_requested' };
    expect((await deliver(url, 'premiere.payment.settled', settled)).status).toBe(204);
    expect((await deliver(url, 'premiere.payment.settled', settled)).status).toBe(204); // a redelivery
    expect(
      await sql('SELECT order_settled_at IS NOT NULL AS acknowledged FROM payments WHERE id = $1', [forged.paymentId]),
    ).toEqual([{ acknowledged: true }]);
    await sql("UPDATE payments SET updated_at = now() - interval '1 minute' WHERE id = $1", [forged.paymentId]);
    expect((await deliver(url, PING_EVENT_TYPE, { schedule: 'reconciliation' })).status).toBe(204);
    expect(
      await sql(
        "SELECT count(*)::int AS n FROM outbox WHERE type = 'premiere.payment.approved' AND data->>'paymentId' = $1",
        [forged.paymentId],
      ),
    ).toEqual([{ n: 1 }]);
    expect(logs.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        paymentId: forged.paymentId,
        outcome: 'not_requested',
        msg: expect.stringMatching(/never requested/),
      }),
    );
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/premiere_payments_unrequested_total 1\b/);

    // And its refund: once however often asked, for the cent charged (not the amount a request names).
    const refunded = nock(PROVIDER, { reqheaders: { 'idempotency-key': `premiere-refund-${forged.paymentId}` } })
      .post('/v1/payments/pay_cent/refunds')
      .once()
      .reply(201, { id: 're_cent', payment_id: 'pay_cent', amount: 1, status: 'succeeded' });
    const ask = {
      orderId,
      paymentId: forged.paymentId,
      amountCents: 10_000,
      currency: 'BRL',
      reason: 'the payment was not requested: this order never asked for payment 7',
    };
    expect((await deliver(url, 'premiere.refund.requested', ask)).status).toBe(204);
    expect((await deliver(url, 'premiere.refund.requested', ask)).status).toBe(204);
    expect(refunded.isDone()).toBe(true);
    expect(
      await sql('SELECT state, amount_cents, provider_refund_id FROM refunds WHERE payment_id = $1', [
        forged.paymentId,
      ]),
    ).toEqual([{ state: 'refunded', amount_cents: 1, provider_refund_id: 're_cent' }]);
    expect(
      (
        await sql("SELECT data FROM outbox WHERE type = 'premiere.refund.completed' AND data->>'paymentId' = $1", [
          forged.paymentId,
        ])
      ).map((r) => r.data),
    ).toEqual([{ orderId, paymentId: forged.paymentId, amountCents: 1, currency: 'BRL', providerRefundId: 're_cent' }]);

    // An outcome that is not a word is refused, and changes nothing.
    expect(
      (await deliver(url, 'premiere.payment.settled', { ...settled, outcome: 'not requested; DROP' })).status,
    ).toBe(400);
  });
});
