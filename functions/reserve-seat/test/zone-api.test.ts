import { randomUUID } from 'node:crypto';
import { addTestShow } from '@premiere/testing';
import { reserveSeatWorld } from './world';

/** The protected zone's API and pages: who may come in, what they see, what bad input gets. */
const world = reserveSeatWorld({
  legacy: { latencyMs: [20, 60] },
  env: { LEGACY_CONCURRENCY: '5', LEGACY_SLOT_WAIT_MS: '30000' },
});

describe('the protected zone API', () => {
  const access = (showId: string, session: string, vid = 5, exp?: number) => world.access(showId, session, vid, exp);

  async function enter(url: string, showId: string, session: string, vid = 5) {
    const res = await fetch(`${url}/checkout/${showId}?access=${access(showId, session, vid)}`, {
      headers: { 'x-session-id': session },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { zoneToken: string; seatMap: string; orders: string; zoneExpiresAt: string };
  }

  it('lets an admitted visitor in, shows the seat map, holds seats priced here, shows and cancels the order', async () => {
    const showId = await addTestShow(world.db.url, { seats: 6 });
    const { url } = await world.start();
    const session = 'api-session-0000000001';
    const zone = await enter(url, showId, session);
    const auth = { authorization: `Bearer ${zone.zoneToken}`, 'x-session-id': session };
    expect(Date.parse(zone.zoneExpiresAt) - Date.now()).toBeGreaterThan(200_000);

    const map = await (await fetch(`${url}${zone.seatMap}`, { headers: auth })).json();
    expect(map.rows[0].seats.map((s: { seat: string }) => s.seat)).toEqual(['A1', 'A2', 'A3', 'A4', 'A5', 'A6']);
    expect(map.maxSeatsPerOrder).toBe(6);

    const created = await fetch(`${url}${zone.orders}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        seats: [
          { seat: 'A1', ticketType: 'full', priceCents: 1 },
          { seat: 'A2', ticketType: 'half' },
        ],
        extras: [{ extraId: 'paulista-soda', quantity: 2 }],
        totalCents: 1,
      }),
    });
    expect(created.status).toBe(201);
    const order = await created.json();
    expect(order).toMatchObject({ state: 'pending_payment', totalCents: 5000 + 2500 + 2 * 1200 }); // the client's prices ignored
    expect(created.headers.get('location')).toBe(`/checkout/api/orders/${order.orderId}`);

    const seen = await (await fetch(`${url}/checkout/api/orders/${order.orderId}`, { headers: auth })).json();
    expect(seen).toMatchObject({
      orderId: order.orderId,
      showId,
      state: 'pending_payment',
      seats: [
        { seat: 'A1', ticketType: 'full', priceCents: 5000 },
        { seat: 'A2', ticketType: 'half', priceCents: 2500 },
      ],
    });
    expect(seen.extras).toEqual([
      { extraId: 'paulista-soda', name: expect.any(String), quantity: 2, priceCents: 2 * 1200 },
    ]);
    expect(seen.sessionHash).toBeUndefined();
    // Nobody's order is kept by a cache (the edge caches what a function lets it): the API and the page.
    for (const address of [`/checkout/api/orders/${order.orderId}`, `/checkout/orders/${order.orderId}`]) {
      const res = await fetch(`${url}${address}`, { headers: auth });
      expect([address, res.status, res.headers.get('cache-control')]).toEqual([address, 200, 'no-store']);
    }

    // Someone else's session (admitted to the same show) cannot see, give up or pay for it: nothing changes.
    const other = await enter(url, showId, 'api-session-0000000002', 6);
    const stranger = { authorization: `Bearer ${other.zoneToken}`, 'x-session-id': 'api-session-0000000002' };
    expect((await fetch(`${url}/checkout/api/orders/${order.orderId}`, { headers: stranger })).status).toBe(404);
    expect(
      (await fetch(`${url}/checkout/api/orders/${order.orderId}`, { method: 'DELETE', headers: stranger })).status,
    ).toBe(404);
    const strangerPays = await fetch(`${url}/checkout/api/orders/${order.orderId}/payment`, {
      method: 'POST',
      headers: { ...stranger, 'content-type': 'application/json' },
      body: JSON.stringify({ paymentToken: 'tok_visa_approved' }),
    });
    expect(strangerPays.status).toBe(404);
    expect((await (await fetch(`${url}/checkout/api/orders/${order.orderId}`, { headers: auth })).json()).state).toBe(
      'pending_payment',
    );

    expect(
      (await fetch(`${url}/checkout/api/orders/${order.orderId}`, { method: 'DELETE', headers: auth })).status,
    ).toBe(204);
    expect((await (await fetch(`${url}/checkout/api/orders/${order.orderId}`, { headers: auth })).json()).state).toBe(
      'cancelled',
    );
    expect(
      (await fetch(`${url}/checkout/api/orders/${order.orderId}`, { method: 'DELETE', headers: auth })).status,
    ).toBe(409);
  });

  it('refuses anyone not admitted, and bad input, with 4xx saying what is wrong and nothing changed', async () => {
    const showId = await addTestShow(world.db.url, { seats: 6 });
    const { url } = await world.start();
    const session = 'api-session-0000000003';

    const none = await fetch(`${url}/checkout/${showId}`, { headers: { 'x-session-id': session } });
    expect(none.status).toBe(401);
    expect((await none.json()).message).toContain(`/waiting-room/${showId}`);
    const foreign = await fetch(`${url}/checkout/${showId}?access=${access(showId, 'somebody-else-session')}`, {
      headers: { 'x-session-id': session },
    });
    expect(foreign.status).toBe(403);
    expect((await foreign.json()).waitingRoom).toBe(`/waiting-room/${showId}`);
    const expired = await fetch(
      `${url}/checkout/${showId}?access=${access(showId, session, 5, Math.floor(Date.now() / 1000) - 1)}`,
      { headers: { 'x-session-id': session } },
    );
    expect(expired.status).toBe(401);
    const otherShow = await fetch(`${url}/checkout/${showId}?access=${access('another-show', session)}`, {
      headers: { 'x-session-id': session },
    });
    expect(otherShow.status).toBe(403);
    expect((await fetch(`${url}/checkout/Bad_Id`)).status).toBe(400);

    const zone = await enter(url, showId, session);
    const post = (body: unknown, extra: Record<string, string> = {}) =>
      fetch(`${url}${zone.orders}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${zone.zoneToken}`,
          'x-session-id': session,
          'content-type': 'application/json',
          ...extra,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const cases: [unknown, number, RegExp][] = [
      [{ seats: [] }, 400, /"seats" must contain at least 1/],
      [
        { seats: Array.from({ length: 7 }, (_, i) => ({ seat: `A${i + 1}`, ticketType: 'full' })) },
        400,
        /"seats" must contain less than or equal to 6/,
      ],
      [{ seats: [{ seat: 'A1', ticketType: 'vip' }] }, 400, /"seats\[0\].ticketType" must be one of \[full, half\]/],
      [
        {
          seats: [
            { seat: 'A1', ticketType: 'full' },
            { seat: 'A1', ticketType: 'half' },
          ],
        },
        400,
        /duplicate value/,
      ],
      [{ seats: [{ seat: 'Z1', ticketType: 'full' }] }, 400, /no such seats in this room: Z1/],
      [
        { seats: [{ seat: 'A1', ticketType: 'full' }], extras: [{ extraId: 'nope', quantity: 1 }] },
        400,
        /no extras nope/,
      ],
      ['{not json', 400, /Invalid request payload JSON format/],
      [
        { seats: [{ seat: 'A1', ticketType: 'full' }], pad: 'x'.repeat(10_000) },
        413,
        /Payload content length greater than maximum allowed/,
      ],
    ];
    for (const [body, code, message] of cases) {
      const res = await post(body);
      expect([code, res.status]).toEqual([code, code]);
      expect((await res.json()).message).toMatch(message);
    }
    expect(
      (
        await fetch(`${url}/checkout/api/orders/not-a-uuid`, {
          headers: { authorization: `Bearer ${zone.zoneToken}`, 'x-session-id': session },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await fetch(`${url}/checkout/api/orders/${randomUUID()}`, {
          headers: { authorization: `Bearer ${zone.zoneToken}`, 'x-session-id': session },
        })
      ).status,
    ).toBe(404);
    expect(await world.sql('SELECT count(*)::int AS n FROM reserve_seat.orders WHERE show_id = $1', [showId])).toEqual([
      { n: 0 },
    ]);
  });

  it('tells the buyer kindly when the cinema’s system is busy', async () => {
    const showId = await addTestShow(world.db.url, { seats: 6 });
    const { url } = await world.start({ LEGACY_URL: 'http://127.0.0.1:9', LEGACY_RETRIES: '0' });
    const session = 'api-session-0000000004';
    const zone = await enter(url, showId, session);
    const res = await fetch(`${url}${zone.seatMap}`, {
      headers: { authorization: `Bearer ${zone.zoneToken}`, 'x-session-id': session },
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect((await res.json()).message).toBe("the cinema's system is busy, retrying: try again in a moment");
  });
});

describe('the pages', () => {
  it('gives a browser the seat selection page on entry and the order page; one not admitted is sent back to the waiting room', async () => {
    const showId = await addTestShow(world.db.url, { seats: 6 });
    const { url } = await world.start();
    const session = 'page-session-0000000001';
    const access = world.access(showId, session, 2);
    const browser = {
      accept: 'text/html,application/xhtml+xml',
      cookie: `premiere_session=${session}`,
      'accept-language': 'en',
    };
    const entry = await fetch(`${url}/checkout/${showId}?access=${access}`, { headers: browser });
    expect(entry.status).toBe(200);
    expect(entry.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(entry.headers.get('set-cookie')).toMatch(/^premiere_zone=[^;]+; .*HttpOnly.*Path=\/checkout/);
    // Secure by the rule of every cookie of ours: over https as the edge says (here, plain http).
    expect(entry.headers.get('set-cookie')).not.toMatch(/; Secure(;|$)/);
    const overHttps = await fetch(`${url}/checkout/${showId}?access=${access}`, {
      headers: { ...browser, 'x-forwarded-proto': 'https' },
    });
    expect(overHttps.headers.get('set-cookie')).toMatch(/^premiere_zone=[^;]+; .*; Secure(;|$)/);
    const body = await entry.text();
    expect(body).toContain('<h1 class="show-title">The Last Starfall</h1>');
    expect(body).toContain('<h2>Choose your seats</h2>');
    expect(body).toContain('Combo pipoca + 2 refrigerantes (R$45.00)');

    const refused = await fetch(`${url}/checkout/${showId}`, {
      headers: { accept: 'text/html', cookie: 'premiere_session=page-session-0000000009' },
    });
    expect(refused.status).toBe(401);
    const refusedPage = await refused.text();
    expect(refusedPage).toContain(`href="/waiting-room/${showId}"`);
    expect(refusedPage).toContain('<h1>Ainda não é a sua vez</h1>'); // Portuguese, without Accept-Language

    const order = await fetch(`${url}/checkout/orders/${randomUUID()}`, { headers: { 'accept-language': 'en' } });
    expect(await order.text()).toContain('<h1>Your order</h1>');
  });
});
