import type Hapi from '@hapi/hapi';
import { createPaymentProvider, type PaymentProviderOptions } from '@premiere/simulators';

let server: Hapi.Server;
async function start(overrides: Partial<PaymentProviderOptions> = {}) {
  server = createPaymentProvider({ port: 0, latencyMs: [1, 5], hangMs: 300, ...overrides });
  await server.start();
  return `http://127.0.0.1:${server.info.port}`;
}
afterEach(() => server.stop());

const pay = (url: string, key: string, method: string, amount = 6400, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key, ...headers },
    body: JSON.stringify({ amount, currency: 'BRL', payment_method: method, reference: 'order-1' }),
  });
const stats = async (url: string) => (await fetch(`${url}/stats`)).json();

describe('the payment provider simulator', () => {
  it('lists every charge it made, refunded or not, for checks against our record (GET /records)', async () => {
    const url = await start();
    const charged = await (await pay(url, 'order-1-attempt-1', 'tok_visa')).json();
    await pay(url, 'order-1-attempt-2', 'tok_decline');
    await fetch(`${url}/v1/payments/${charged.id}/refunds`, {
      method: 'POST',
      headers: { 'idempotency-key': 'refund-order-1' },
    });
    const { since, payments } = await (await fetch(`${url}/records`)).json();
    expect(Date.parse(since)).toBeLessThanOrEqual(Date.now());
    expect(
      payments.map((p: { status: string; reference: string; refunded: boolean }) => [
        p.status,
        p.reference,
        p.refunded,
      ]),
    ).toEqual([
      ['approved', 'order-1', true],
      ['declined', 'order-1', false],
    ]);
  });

  it('approves, and a repeated idempotency key returns the first result without a second charge', async () => {
    const url = await start();
    const first = await pay(url, 'order-1-attempt-1', 'tok_visa');
    expect(first.status).toBe(201);
    const payment = await first.json();
    expect(payment).toMatchObject({ status: 'approved', amount: 6400, currency: 'BRL', decline_code: null });
    const again = await pay(url, 'order-1-attempt-1', 'tok_visa');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(payment);
    expect(await stats(url)).toMatchObject({ charges: 1, replays: 1 });
  });

  it('refuses a key reused with other parameters', async () => {
    const url = await start();
    await pay(url, 'order-2-attempt-1', 'tok_visa', 100);
    const res = await pay(url, 'order-2-attempt-1', 'tok_visa', 999);
    expect(res.status).toBe(422);
    expect((await res.json()).error).toBe('idempotency_key_in_use');
  });

  it('declines the test cards that decline', async () => {
    const url = await start();
    const declined = await pay(url, 'order-3-attempt-1', 'tok_decline');
    expect(declined.status).toBe(402);
    expect(await declined.json()).toMatchObject({ status: 'declined', decline_code: 'card_declined' });
    expect(await (await pay(url, 'order-3-attempt-2', 'tok_insufficient_funds')).json()).toMatchObject({
      decline_code: 'insufficient_funds',
    });
    expect(await stats(url)).toMatchObject({ charges: 0, declines: 2 });
  });

  it('charges tok_timeout but answers late; the retry with the same key gets the charge at once', async () => {
    const url = await start({ hangMs: 2_000 });
    await expect(pay(url, 'order-4-attempt-1', 'tok_timeout', 6400, {}).then(() => 'answered')).resolves.toBe(
      'answered',
    );
    // A client that gave up after 100 ms:
    const aborted = fetch(`${url}/v1/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'order-5-attempt-1' },
      body: JSON.stringify({ amount: 100, currency: 'BRL', payment_method: 'tok_timeout' }),
      signal: AbortSignal.timeout(100),
    });
    await expect(aborted).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 50));
    const lookup = await fetch(`${url}/v1/payments?idempotency_key=order-5-attempt-1`);
    expect(lookup.status).toBe(200);
    expect((await lookup.json()).status).toBe('approved');
    expect((await stats(url)).charges).toBe(2);
  }, 10_000);

  it('fails with 500 on tok_fail (nothing charged) and 503 once per key on tok_flaky', async () => {
    const url = await start();
    expect((await pay(url, 'order-6-attempt-1', 'tok_fail')).status).toBe(500);
    expect((await pay(url, 'order-6-attempt-1', 'tok_fail')).status).toBe(500);
    expect((await pay(url, 'order-7-attempt-1', 'tok_flaky')).status).toBe(503);
    expect((await pay(url, 'order-7-attempt-1', 'tok_flaky')).status).toBe(201);
    expect(await stats(url)).toMatchObject({ charges: 1, failures: 2 });
  });

  it('refunds once, however often it is asked', async () => {
    const url = await start();
    const { id } = await (await pay(url, 'order-8-attempt-1', 'tok_visa')).json();
    const refund = (key: string) =>
      fetch(`${url}/v1/payments/${id}/refunds`, { method: 'POST', headers: { 'idempotency-key': key } });
    const first = await refund('refund-order-8');
    expect(first.status).toBe(201);
    const again = await refund('refund-order-8');
    expect(await again.json()).toEqual(await first.json());
    expect((await refund('refund-order-8-other')).status).toBe(409);
    expect((await stats(url)).refunds).toBe(1);
  });

  it('requires its API key when it has one, and an idempotency key always', async () => {
    const url = await start({ apiKey: 'sk_test_premiere' });
    expect((await pay(url, 'order-9-attempt-1', 'tok_visa')).status).toBe(400);
    expect(
      (await pay(url, 'order-9-attempt-1', 'tok_visa', 100, { authorization: 'Bearer sk_test_premiere' })).status,
    ).toBe(201);
    const noKey = await fetch(`${url}/v1/payments`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk_test_premiere', 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 1, currency: 'BRL', payment_method: 'tok_visa' }),
    });
    expect(noKey.status).toBe(400);
    expect((await noKey.json()).message).toMatch(/"idempotency-key" is required/);
  });
});
