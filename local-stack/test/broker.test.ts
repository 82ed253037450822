import http from 'node:http';
import { CloudEvent, HTTP } from 'cloudevents';
import { createLogger, SenderIdentity } from '@premiere/runtime';
import { captureLogs, eventually } from '@premiere/testing';
import { LocalBroker, type BrokerSchedule, type BrokerSubscription } from '../src/broker';
import { parseCron } from '../src/cron';

/** A subscriber whose answers the test scripts; it records what reaches it and when. */
async function subscriber(answer: (n: number) => { status: number; headers?: Record<string, string>; body?: string }) {
  const calls: { at: number; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      calls.push({ at: Date.now(), headers: req.headers, body });
      const a = answer(calls.length);
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    calls,
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/events`,
    close: () => new Promise((r) => server.close(r)),
  };
}

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function broker(
  subscriptions: BrokerSubscription[],
  schedules: BrokerSchedule[] = [],
  retry = 3,
  ingressAudience?: string,
) {
  const logs = captureLogs();
  const b = new LocalBroker({
    subscriptions,
    schedules,
    delivery: { retry, backoffPolicy: 'exponential', backoffDelay: 'PT0.1S' },
    log: createLogger({ name: 'broker' }, logs.stream),
    ingressAudience,
  });
  const url = await b.listen(0);
  closers.push(() => b.close());
  return { b, url, logs };
}

const event = (type = 'premiere.seat.held', id = 'e-1') =>
  new CloudEvent({ id, type, source: '/premiere/reserve-seat', subject: 'show-1', data: { seat: 'A1' } });
const send = (url: string, message: { headers: Record<string, unknown>; body: unknown }) =>
  fetch(url, { method: 'POST', headers: message.headers as Record<string, string>, body: message.body as string });

describe('the local broker', () => {
  it('takes binary and structured events and delivers them by exact attribute filters', async () => {
    const held = await subscriber(() => ({ status: 204 }));
    const all = await subscriber(() => ({ status: 204 }));
    closers.push(held.close, all.close);
    const { b, url } = await broker([
      { name: 'held', url: held.url, filter: { type: 'premiere.seat.held' }, audience: 'premiere/test' },
      {
        name: 'from-payment',
        url: all.url,
        filter: { source: '/premiere/process-payment' },
        audience: 'premiere/test',
      },
    ]);
    expect((await send(url, HTTP.binary(event()))).status).toBe(202);
    expect((await send(url, HTTP.structured(event('premiere.seat.held', 'e-2')))).status).toBe(202);
    expect((await send(url, HTTP.binary(event('premiere.seat.released', 'e-3')))).status).toBe(202);
    await b.idle();
    expect(held.calls.map((c) => c.headers['ce-id'])).toEqual(['e-1', 'e-2']);
    expect(held.calls[1].headers['ce-subject']).toBe('show-1'); // delivered in binary mode
    expect(JSON.parse(held.calls[0].body)).toEqual({ seat: 'A1' });
    expect(all.calls).toEqual([]);
  });

  it('refuses what is not a CloudEvent with 400', async () => {
    const { url } = await broker([]);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(400);
  });

  it('retries failed deliveries with exponential backoff', async () => {
    const flaky = await subscriber((n) => ({ status: n <= 2 ? 503 : 204 }));
    closers.push(flaky.close);
    const { b, url } = await broker([
      { name: 'held', url: flaky.url, filter: { type: 'premiere.seat.held' }, audience: 'premiere/test' },
    ]);
    await send(url, HTTP.binary(event()));
    await b.idle();
    expect(flaky.calls).toHaveLength(3);
    const gaps = [flaky.calls[1].at - flaky.calls[0].at, flaky.calls[2].at - flaky.calls[1].at];
    expect(gaps[0]).toBeGreaterThanOrEqual(95); // 0.1 s
    expect(gaps[1]).toBeGreaterThanOrEqual(195); // 0.2 s
    expect(b.deadLetters).toEqual([]);
  });

  it('dead-letters an event after its retries, or at once on a non-retryable answer, and logs it', async () => {
    const down = await subscriber(() => ({ status: 500 }));
    const refuses = await subscriber(() => ({ status: 400 }));
    closers.push(down.close, refuses.close);
    const { b, url, logs } = await broker(
      [
        { name: 'down', url: down.url, filter: { type: 'premiere.seat.held' }, audience: 'premiere/test' },
        { name: 'refuses', url: refuses.url, filter: { type: 'premiere.seat.held' }, audience: 'premiere/test' },
      ],
      [],
      2,
    );
    await send(url, HTTP.binary(event()));
    await b.idle();
    expect(down.calls).toHaveLength(3);
    expect(refuses.calls).toHaveLength(1);
    const letters = await (await fetch(`${url}/dead-letters`)).json();
    expect(letters.map((l: { subscription: string; reason: string }) => [l.subscription, l.reason]).sort()).toEqual([
      ['down', 'subscriber answered 500'],
      ['refuses', 'subscriber answered 400'],
    ]);
    expect(letters[0].event).toMatchObject({ id: 'e-1', type: 'premiere.seat.held' });
    expect(logs.lines.filter((l) => l.msg === 'event dead-lettered')).toHaveLength(2);
  });

  it('sends a Trigger’s dead letters to the dead-letter sink as Knative does: the event, knativeerror* extensions, a token for the sink’s audience', async () => {
    const down = await subscriber(() => ({ status: 500, body: '{"error":"handler failed"}' }));
    const sink = await subscriber(() => ({ status: 202 }));
    const pinged = await subscriber(() => ({ status: 500 }));
    closers.push(down.close, sink.close, pinged.close);
    const logs = captureLogs();
    const b = new LocalBroker({
      subscriptions: [
        { name: 'down', url: down.url, filter: { type: 'premiere.seat.held' }, audience: 'premiere/test' },
      ],
      schedules: [
        {
          name: 'relay',
          url: pinged.url,
          schedule: '0 0 1 1 *',
          data: { schedule: 'outbox-relay' },
          audience: 'premiere/test',
        },
      ],
      delivery: { retry: 1, backoffPolicy: 'exponential', backoffDelay: 'PT0.05S' },
      log: createLogger({ name: 'broker' }, logs.stream),
      deadLetterSink: { url: sink.url, audience: 'premiere/admit-batch' },
    });
    const url = await b.listen(0);
    closers.push(() => b.close());
    await send(url, HTTP.binary(event()));
    await fetch(`${url}/schedules/relay`, { method: 'POST' });
    await b.idle();

    expect(sink.calls).toHaveLength(1); // the Trigger's; a PingSource has no dead-letter sink
    const [letter] = sink.calls;
    expect(letter.headers).toMatchObject({
      'ce-id': 'e-1',
      'ce-type': 'premiere.seat.held',
      'ce-source': '/premiere/reserve-seat',
      'ce-subject': 'show-1',
      'ce-knativeerrordest': down.url,
      'ce-knativeerrorcode': '500',
    });
    expect(Buffer.from(String(letter.headers['ce-knativeerrordata']), 'base64').toString()).toBe(
      '{"error":"handler failed"}',
    );
    expect(JSON.parse(letter.body)).toEqual({ seat: 'A1' });
    const identity = new SenderIdentity({
      audience: 'premiere/admit-batch',
      issuer: b.issuerUrl,
      jwksUrl: `${url}/openid/v1/jwks`,
      log: createLogger({ name: 't' }, captureLogs().stream),
    });
    await expect(identity.verify(letter.headers.authorization)).resolves.toBeUndefined();
    expect(b.deadLetters.map((l) => [l.subscription, l.sink ?? 'none']).sort()).toEqual([
      ['down', 'stored'],
      ['schedule/relay', 'none'],
    ]);
  });

  it('publishes a subscriber’s reply event back into the broker', async () => {
    const reply = HTTP.binary(
      new CloudEvent({
        id: 'r-1',
        type: 'premiere.seat.released',
        source: '/premiere/reserve-seat',
        data: { seat: 'A1' },
      }),
    );
    const replier = await subscriber(() => ({
      status: 200,
      headers: reply.headers as Record<string, string>,
      body: reply.body as string,
    }));
    const released = await subscriber(() => ({ status: 204 }));
    closers.push(replier.close, released.close);
    const { b, url } = await broker([
      { name: 'held', url: replier.url, filter: { type: 'premiere.seat.held' }, audience: 'premiere/test' },
      { name: 'released', url: released.url, filter: { type: 'premiere.seat.released' }, audience: 'premiere/test' },
    ]);
    await send(url, HTTP.binary(event()));
    await eventually(() => released.calls.length === 1);
    await b.idle();
    expect(released.calls[0].headers['ce-id']).toBe('r-1');
    expect(b.stats.replies).toBe(1);
  });

  it('fires schedules as PingSource events, on demand and by cron', async () => {
    const target = await subscriber(() => ({ status: 204 }));
    closers.push(target.close);
    const { b, url } = await broker(
      [],
      [
        {
          name: 'relay',
          url: target.url,
          schedule: '* * * * *',
          data: { schedule: 'outbox-relay' },
          audience: 'premiere/test',
        },
      ],
    );
    expect((await fetch(`${url}/schedules/relay`, { method: 'POST' })).status).toBe(202);
    expect((await fetch(`${url}/schedules/nope`, { method: 'POST' })).status).toBe(404);
    await b.idle();
    expect(target.calls[0].headers).toMatchObject({
      'ce-type': 'dev.knative.sources.ping',
      'ce-source': '/apis/v1/namespaces/local/pingsources/relay',
    });
    expect(JSON.parse(target.calls[0].body)).toEqual({ schedule: 'outbox-relay' });
  });
});

describe('sender identity (Knative authentication-oidc)', () => {
  it('signs every delivery for its subscriber’s audience, with keys served as an issuer serves them', async () => {
    const target = await subscriber(() => ({ status: 204 }));
    closers.push(target.close);
    const { b, url } = await broker(
      [{ name: 'held', url: target.url, filter: { type: 'premiere.seat.held' }, audience: 'premiere/reserve-seat' }],
      [
        {
          name: 'relay',
          url: target.url,
          schedule: '0 0 1 1 *',
          data: { schedule: 'outbox-relay' },
          audience: 'premiere/reserve-seat',
        },
      ],
    );
    expect(await (await fetch(`${url}/.well-known/openid-configuration`)).json()).toMatchObject({
      issuer: url,
      jwks_uri: `${url}/openid/v1/jwks`,
    });
    await send(url, HTTP.binary(event()));
    await fetch(`${url}/schedules/relay`, { method: 'POST' });
    await b.idle();
    expect(target.calls).toHaveLength(2);
    // What a function checks: signature (keys fetched from the broker), issuer, audience, expiry.
    const verifier = (audience: string) =>
      new SenderIdentity({
        audience,
        issuer: url,
        jwksUrl: `${url}/openid/v1/jwks`,
        log: createLogger({ name: 't' }, captureLogs().stream),
      });
    for (const call of target.calls) {
      await expect(verifier('premiere/reserve-seat').verify(call.headers.authorization)).resolves.toBeUndefined();
      await expect(verifier('premiere/admit-batch').verify(call.headers.authorization)).rejects.toThrow(
        /another audience/,
      );
    }
  });

  it('takes events at its ingress only with its token for its audience, when told to', async () => {
    const target = await subscriber(() => ({ status: 204 }));
    closers.push(target.close);
    const { b, url } = await broker(
      [{ name: 'held', url: target.url, filter: { type: 'premiere.seat.held' }, audience: 'premiere/x' }],
      [],
      3,
      'eventing.knative.dev/broker/local/default',
    );
    const m = HTTP.binary(event());
    const anonymous = await fetch(url, {
      method: 'POST',
      headers: m.headers as Record<string, string>,
      body: m.body as string,
    });
    expect(anonymous.status).toBe(401);
    const forOther = await fetch(url, {
      method: 'POST',
      headers: { ...(m.headers as Record<string, string>), authorization: `Bearer ${b.tokenFor('premiere/x', 's')}` },
      body: m.body as string,
    });
    expect(forOther.status).toBe(401);
    const ours = await fetch(url, {
      method: 'POST',
      headers: {
        ...(m.headers as Record<string, string>),
        authorization: `Bearer ${b.tokenFor('eventing.knative.dev/broker/local/default', 's')}`,
      },
      body: m.body as string,
    });
    expect(ours.status).toBe(202);
    await b.idle();
    expect(target.calls).toHaveLength(1);
  });
});

describe('cron schedules', () => {
  const at = (iso: string) => new Date(iso);
  it('matches minutes, steps, ranges and lists in UTC', () => {
    const every5 = parseCron('*/5 * * * *');
    expect(every5(at('2026-11-22T10:05:00Z'))).toBe(true);
    expect(every5(at('2026-11-22T10:06:00Z'))).toBe(false);
    const office = parseCron('0 9-17/2 * * 1-5');
    expect(office(at('2026-11-23T11:00:00Z'))).toBe(true); // Monday
    expect(office(at('2026-11-22T11:00:00Z'))).toBe(false); // Sunday
    expect(parseCron('30 12 1,15 * *')(at('2026-11-15T12:30:00Z'))).toBe(true);
    expect(parseCron('0 0 * * 7')(at('2026-11-22T00:00:00Z'))).toBe(true); // 7 is Sunday too
  });
  it('refuses what it does not understand', () => {
    expect(() => parseCron('* * * *')).toThrow('must have 5 fields');
    expect(() => parseCron('61 * * * *')).toThrow('out of range');
    expect(() => parseCron('@hourly x y z w')).toThrow('not understood');
  });
});
