import { randomUUID } from 'node:crypto';
import { CloudEvent, HTTP } from 'cloudevents';
import { eventAuthorization, addTestShow, TEST_ADMIN_TOKEN as ADMIN_TOKEN } from '@premiere/testing';
import { roomKeys, SEATS_PER_ORDER_MEMORY_KEY } from '@premiere/waiting-room';
import { paymentApproved, requestPayment } from '../src/payments';
import { cancelOrder, expireHolds } from '../src/orders';
import { seatAvailabilityKey } from '../src/keys';
import { holdSeats, reserveSeatWorld } from './world';

/** Paying for held seats (the payment events in and out, tickets, refunds, the audit trail), and the show's listing as seats go. */
const world = reserveSeatWorld({
  legacy: { latencyMs: [20, 60] },
  env: { LEGACY_CONCURRENCY: '5', LEGACY_SLOT_WAIT_MS: '30000' },
});

describe('paying', () => {
  let n = 0;

  /** An admitted buyer in a fresh replica, holding two seats (and `extras`). */
  async function buyer(holdSeconds?: number, extras: { extraId: string; quantity: number }[] = []) {
    const showId = await addTestShow(world.db.url, { seats: 6 });
    const r = await world.replica();
    if (holdSeconds) r.fn.deps.orders.holdSeconds = holdSeconds;
    const url = `http://127.0.0.1:${r.fn.server.info.port}`;
    const session = `pay-session-${String(++n).padStart(10, '0')}`;
    const access = world.access(showId, session, 9);
    const zone = await (
      await fetch(`${url}/checkout/${showId}?access=${access}`, { headers: { 'x-session-id': session } })
    ).json();
    const headers = {
      authorization: `Bearer ${zone.zoneToken}`,
      'x-session-id': session,
      'content-type': 'application/json',
    };
    const order = await (
      await fetch(`${url}${zone.orders}`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          seats: [
            { seat: 'A1', ticketType: 'full' },
            { seat: 'A2', ticketType: 'full' },
          ],
          extras,
        }),
      })
    ).json();
    const pay = (token = 'tok_visa') =>
      fetch(`${url}/checkout/api/orders/${order.orderId}/payment`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ paymentToken: token }),
      });
    const view = async () => (await fetch(`${url}/checkout/api/orders/${order.orderId}`, { headers })).json();
    let id = 0;
    const event = (type: string, data: Record<string, unknown>) => {
      const m = HTTP.binary(
        new CloudEvent({ id: `${order.orderId}-${++id}`, type, source: '/premiere/process-payment', data }),
      );
      return fetch(`${url}/events`, {
        method: 'POST',
        headers: { ...(m.headers as Record<string, string>), authorization: eventAuthorization('reserve-seat') },
        body: m.body as string,
      });
    };
    return { showId, order, pay, view, event, r, url };
  }

  it('gives the order’s extras with its first ticket (one code at the counter), and says so on the others', async () => {
    const { order, pay, view, event, url } = await buyer(undefined, [
      { extraId: 'paulista-combo', quantity: 1 },
      { extraId: 'paulista-popcorn', quantity: 2 },
    ]);
    expect((await pay()).status).toBe(202);
    expect(
      (
        await event('premiere.payment.approved', {
          orderId: order.orderId,
          paymentId: `${order.orderId}:1`,
          attempt: 1,
          amountCents: order.totalCents,
          currency: 'BRL',
          providerPaymentId: 'pay_test',
        })
      ).status,
    ).toBe(204);
    const [first, second] = (await view()).tickets as { seat: string; code: string; url: string }[];
    const data = async (code: string) => (await fetch(`${url}/checkout/api/tickets/${code}`)).json();
    const extras = [
      { name: 'Combo pipoca + 2 refrigerantes', quantity: 1 },
      { name: 'Pipoca grande', quantity: 2 },
    ];
    expect((await data(first.code)).extras).toEqual({ seat: 'A1', items: expect.arrayContaining(extras) });
    expect((await data(second.code)).extras).toEqual({ seat: 'A1', items: expect.arrayContaining(extras) });
    const withThem = await (await fetch(`${url}${first.url}`)).text();
    expect(withThem).toContain('1 × Combo pipoca + 2 refrigerantes');
    expect(withThem).toContain('Retire no balcão mostrando este ingresso');
    const without = await (await fetch(`${url}${second.url}`)).text();
    expect(without).not.toContain('1 × Combo pipoca');
    expect(without).toContain('Os adicionais deste pedido estão no ingresso do assento A1');
  });

  it('asks process-payment to charge, books the seats on approval and issues a ticket per seat, once', async () => {
    const { showId, order, pay, view, event, url } = await buyer();
    const paying = await pay();
    expect(paying.status).toBe(202);
    expect(await paying.json()).toEqual({
      orderId: order.orderId,
      state: 'awaiting_payment',
      paymentId: `${order.orderId}:1`,
      statusUrl: `/checkout/api/orders/${order.orderId}`,
    });
    expect((await pay()).status).toBe(409); // already paying
    const [requested] = await world.sql(
      "SELECT data FROM reserve_seat.outbox WHERE type = 'premiere.payment.requested' AND subject = $1",
      [order.orderId],
    );
    expect(requested.data).toMatchObject({
      paymentId: `${order.orderId}:1`,
      orderId: order.orderId,
      showId,
      amountCents: 10000,
      currency: 'BRL',
      paymentToken: 'tok_visa',
    });

    expect(
      (
        await event('premiere.payment.approved', {
          orderId: order.orderId,
          paymentId: `${order.orderId}:1`,
          attempt: 1,
          amountCents: 10_000,
          currency: 'BRL',
          providerPaymentId: 'pay_test',
        })
      ).status,
    ).toBe(204);
    const confirmed = await view();
    expect(confirmed.state).toBe('confirmed');
    expect(confirmed.tickets.map((t: { seat: string }) => t.seat)).toEqual(['A1', 'A2']);
    expect(confirmed.tickets[0].code).toMatch(/^[2-9A-HJ-NP-Z]{10}$/);
    expect(confirmed.tickets[0].url).toBe(`/checkout/tickets/${confirmed.tickets[0].code}`);
    // The ticket's page and data: what, when, where, which seat (by its code, without the session).
    const ticket = await (await fetch(`${url}/checkout/api/tickets/${confirmed.tickets[0].code}`)).json();
    expect(ticket).toMatchObject({
      code: confirmed.tickets[0].code,
      orderId: order.orderId,
      showId,
      movie: 'The Last Starfall',
      seat: 'A1',
      ticketType: 'full',
      cinema: { name: 'Cine Paulista' },
      room: { name: 'Test room', roomType: 'regular' },
    });
    expect(ticket.localStartsAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
    const ticketPage = await fetch(`${url}${confirmed.tickets[0].url}`);
    expect(ticketPage.status).toBe(200);
    // Whoever has the code may see it, but no shared cache keeps it (the edge caches what a function lets it).
    expect(ticketPage.headers.get('cache-control')).toBe('private, no-store');
    expect((await fetch(`${url}/checkout/api/tickets/${confirmed.tickets[0].code}`)).headers.get('cache-control')).toBe(
      'private, no-store',
    );
    const text = await ticketPage.text();
    // In Portuguese by default, at the cinema's local time.
    for (const part of [
      'The Last Starfall',
      'Cine Paulista',
      '<dt>Assento</dt><dd class="seat-label">A1</dd>',
      confirmed.tickets[0].code,
      `, ${ticket.localStartsAt.slice(11)}</time>`,
    ])
      expect(text).toContain(part);
    // Typed in small letters: the same ticket.
    expect((await fetch(`${url}/checkout/tickets/${confirmed.tickets[0].code.toLowerCase()}`)).status).toBe(200);
    expect((await fetch(`${url}/checkout/tickets/ABCDEFGHIJ`)).status).toBe(404);
    expect((await fetch(`${url}/checkout/api/tickets/ABCDEFGHIJ`)).status).toBe(404);
    const bad = await fetch(`${url}/checkout/api/tickets/nope`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/ticket code/);
    expect(await world.legacyStatus(showId, 'A1')).toBe('booked');
    const [done] = await world.sql(
      "SELECT data FROM reserve_seat.outbox WHERE type = 'premiere.order.confirmed' AND subject = $1",
      [order.orderId],
    );
    expect(done.data).toMatchObject({ orderId: order.orderId, showId, visitor: 9 });

    // The same approval again (a new delivery id, or process-payment announcing it again): nothing
    // changes, and it is acknowledged again, so process-payment stops announcing it.
    expect(
      (
        await event('premiere.payment.approved', {
          orderId: order.orderId,
          paymentId: `${order.orderId}:1`,
          attempt: 1,
          amountCents: 10_000,
          currency: 'BRL',
          providerPaymentId: 'pay_test',
        })
      ).status,
    ).toBe(204);
    expect((await view()).tickets).toEqual(confirmed.tickets);
    const acks = await world.sql(
      "SELECT data FROM reserve_seat.outbox WHERE type = 'premiere.payment.settled' AND subject = $1 ORDER BY id",
      [order.orderId],
    );
    expect(acks.map((a) => a.data)).toEqual([
      { paymentId: `${order.orderId}:1`, orderId: order.orderId, outcome: 'confirmed' },
      { paymentId: `${order.orderId}:1`, orderId: order.orderId, outcome: 'settled_already' },
    ]);
  });

  it('goes back to pending payment on a rejection, with the reason, and lets the buyer pay again', async () => {
    const { order, pay, view, event } = await buyer();
    await pay('tok_decline');
    await event('premiere.payment.rejected', {
      orderId: order.orderId,
      paymentId: `${order.orderId}:1`,
      attempt: 1,
      reason: 'declined',
    });
    expect(await view()).toMatchObject({ state: 'pending_payment', rejectionReason: 'declined' });
    const again = await (await pay()).json();
    expect(again.paymentId).toBe(`${order.orderId}:2`);
    expect((await view()).rejectionReason).toBeNull();
  });

  it('keeps an audit trail operators can read: every state with its cause and time, every payment attempt, the tickets', async () => {
    const { showId, order, pay, event, url } = await buyer();
    await pay('tok_decline');
    await event('premiere.payment.rejected', {
      orderId: order.orderId,
      paymentId: `${order.orderId}:1`,
      attempt: 1,
      reason: 'declined',
    });
    await pay();
    await event('premiere.payment.approved', {
      orderId: order.orderId,
      paymentId: `${order.orderId}:2`,
      attempt: 2,
      amountCents: 10_000,
      currency: 'BRL',
      providerPaymentId: 'pay_test',
    });
    const operator = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const res = await fetch(`${url}/checkout/admin/orders/${order.orderId}`, { headers: operator });
    expect(res.status).toBe(200);
    const history = await res.json();
    expect(history).toMatchObject({ orderId: order.orderId, showId, state: 'confirmed', totalCents: 10_000 });
    expect(
      history.transitions.map((t: { from: string | null; to: string; cause: string }) => [t.from, t.to, t.cause]),
    ).toEqual([
      [null, 'pending_payment', 'seats held'],
      ['pending_payment', 'awaiting_payment', 'payment 1 submitted'],
      ['awaiting_payment', 'pending_payment', `payment ${order.orderId}:1 rejected: declined`],
      ['pending_payment', 'awaiting_payment', 'payment 2 submitted'],
      ['awaiting_payment', 'confirmed', `payment ${order.orderId}:2 approved`],
    ]);
    for (const t of history.transitions) expect(Date.parse(t.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(history.payments).toMatchObject([
      { paymentId: `${order.orderId}:1`, outcome: 'rejected', reason: 'declined' },
      { paymentId: `${order.orderId}:2`, outcome: 'approved' },
    ]);
    expect(history.tickets.map((t: { seat: string }) => t.seat)).toEqual(['A1', 'A2']);
    // A show's orders, by state.
    const listed = await (
      await fetch(`${url}/checkout/admin/shows/${showId}/orders?state=confirmed`, { headers: operator })
    ).json();
    expect(listed.orders).toMatchObject([{ orderId: order.orderId, state: 'confirmed' }]);
    expect(
      (await (await fetch(`${url}/checkout/admin/shows/${showId}/orders?state=expired`, { headers: operator })).json())
        .orders,
    ).toEqual([]);
    // Operators only, and clear answers to bad requests.
    expect((await fetch(`${url}/checkout/admin/orders/${order.orderId}`)).status).toBe(400);
    expect(
      (
        await fetch(`${url}/checkout/admin/orders/${order.orderId}`, {
          headers: { authorization: 'Bearer wrong-token-0123456789' },
        })
      ).status,
    ).toBe(401);
    expect((await fetch(`${url}/checkout/admin/orders/${randomUUID()}`, { headers: operator })).status).toBe(404);
    const badState = await fetch(`${url}/checkout/admin/shows/${showId}/orders?state=paid`, { headers: operator });
    expect(badState.status).toBe(400);
    expect((await badState.json()).message).toMatch(/"state" must be one of/);
  });

  it('asks for a refund when a payment is approved after the hold ran out', async () => {
    const { order, pay, view, event, r } = await buyer(2);
    expect((await pay()).status).toBe(202);
    await new Promise((res) => setTimeout(res, 2_100));
    expect(await expireHolds(r)).toBeGreaterThanOrEqual(1); // (other tests' short holds too)
    expect((await view()).state).toBe('expired');
    await event('premiere.payment.approved', {
      orderId: order.orderId,
      paymentId: `${order.orderId}:1`,
      attempt: 1,
      amountCents: 10_000,
      currency: 'BRL',
      providerPaymentId: 'pay_test',
    });
    expect((await view()).state).toBe('refund_required');
    const [refund] = await world.sql(
      "SELECT data FROM reserve_seat.outbox WHERE type = 'premiere.refund.requested' AND subject = $1",
      [order.orderId],
    );
    expect(refund.data).toMatchObject({ orderId: order.orderId, paymentId: `${order.orderId}:1`, amountCents: 10000 });

    // The refund request and the acknowledgement were both lost (process-payment down past the
    // broker's retries): process-payment announces the approval again, and the refund is asked again.
    await event('premiere.payment.approved', {
      orderId: order.orderId,
      paymentId: `${order.orderId}:1`,
      attempt: 1,
      amountCents: 10_000,
      currency: 'BRL',
      providerPaymentId: 'pay_test',
    });
    const asked = await world.sql(
      "SELECT type, data FROM reserve_seat.outbox WHERE type IN ('premiere.refund.requested', 'premiere.payment.settled') AND subject = $1 ORDER BY id",
      [order.orderId],
    );
    expect(asked.map((e) => [e.type, e.data.paymentId, e.data.outcome])).toEqual([
      ['premiere.refund.requested', `${order.orderId}:1`, undefined],
      ['premiere.payment.settled', `${order.orderId}:1`, 'seats_lost'],
      ['premiere.refund.requested', `${order.orderId}:1`, undefined],
      ['premiere.payment.settled', `${order.orderId}:1`, 'seats_lost'],
    ]);
  });

  it('leaves an order whose hold an approval has booked to that approval, even when its hold time runs out meanwhile', async () => {
    const { showId, order, pay, view, event, r } = await buyer(2);
    expect((await pay()).status).toBe(202);
    // The approval has booked the hold in the legacy system (outside any transaction) and is about to confirm…
    const [{ hold_id: holdId }] = await world.sql('SELECT hold_id FROM reserve_seat.orders WHERE id = $1', [
      order.orderId,
    ]);
    expect((await fetch(`${world.legacyUrl}/holds/${holdId}/confirm`, { method: 'POST' })).status).toBe(200);
    // …when the sweep finds its hold time up: it must not free seats the legacy system has sold.
    await new Promise((res) => setTimeout(res, 2_100));
    await expireHolds(r);
    expect((await view()).state).toBe('awaiting_payment');
    expect(
      (
        await event('premiere.payment.approved', {
          orderId: order.orderId,
          paymentId: `${order.orderId}:1`,
          attempt: 1,
          amountCents: 10_000,
          currency: 'BRL',
          providerPaymentId: 'pay_test',
        })
      ).status,
    ).toBe(204);
    expect((await view()).state).toBe('confirmed');
    expect(await world.legacyStatus(showId, 'A1')).toBe('booked');
  });

  it('gives back a second, different payment for an order already paid, and counts a late approval', async () => {
    const { order, pay, view, event } = await buyer();
    await pay('tok_timeout');
    await event('premiere.payment.rejected', {
      orderId: order.orderId,
      paymentId: `${order.orderId}:1`,
      attempt: 1,
      reason: 'provider unavailable',
    });
    await pay();
    await event('premiere.payment.approved', {
      orderId: order.orderId,
      paymentId: `${order.orderId}:2`,
      attempt: 2,
      amountCents: 10_000,
      currency: 'BRL',
      providerPaymentId: 'pay_test',
    });
    expect((await view()).state).toBe('confirmed');
    // The first attempt was charged after all, and says so late: refunded, the order stays confirmed.
    await event('premiere.payment.approved', {
      orderId: order.orderId,
      paymentId: `${order.orderId}:1`,
      attempt: 1,
      amountCents: 10_000,
      currency: 'BRL',
      providerPaymentId: 'pay_test',
    });
    expect((await view()).state).toBe('confirmed');
    const refunds = await world.sql(
      "SELECT data FROM reserve_seat.outbox WHERE type = 'premiere.refund.requested' AND subject = $1",
      [order.orderId],
    );
    expect(refunds.map((r) => r.data)).toEqual([
      expect.objectContaining({ paymentId: `${order.orderId}:1`, reason: 'the order was already paid' }),
    ]);
    // Acknowledged as paid twice: process-payment owes the refund even if the request is lost.
    const [ack] = await world.sql(
      "SELECT data FROM reserve_seat.outbox WHERE type = 'premiere.payment.settled' AND data->>'paymentId' = $1",
      [`${order.orderId}:1`],
    );
    expect(ack.data.outcome).toBe('paid_twice');
    // The approval that paid the order, announced again (its acknowledgement was lost): nothing to
    // give back, though another payment of the order was approved too.
    await event('premiere.payment.approved', {
      orderId: order.orderId,
      paymentId: `${order.orderId}:2`,
      attempt: 2,
      amountCents: 10_000,
      currency: 'BRL',
      providerPaymentId: 'pay_test',
    });
    expect((await view()).state).toBe('confirmed');
    const asked = await world.sql(
      "SELECT data FROM reserve_seat.outbox WHERE type = 'premiere.refund.requested' AND subject = $1",
      [order.orderId],
    );
    expect(asked.map((r) => r.data.paymentId)).toEqual([`${order.orderId}:1`]);
    const acks = await world.sql(
      "SELECT data FROM reserve_seat.outbox WHERE type = 'premiere.payment.settled' AND data->>'paymentId' = $1 ORDER BY id",
      [`${order.orderId}:2`],
    );
    expect(acks.map((a) => a.data.outcome)).toEqual(['confirmed', 'settled_already']);
  });

  it('confirms an order whose approval arrives after its attempt was rejected', async () => {
    const { order, pay, view, event } = await buyer();
    await pay();
    await event('premiere.payment.rejected', {
      orderId: order.orderId,
      paymentId: `${order.orderId}:1`,
      attempt: 1,
      reason: 'provider unavailable',
    });
    await event('premiere.payment.approved', {
      orderId: order.orderId,
      paymentId: `${order.orderId}:1`,
      attempt: 1,
      amountCents: 10_000,
      currency: 'BRL',
      providerPaymentId: 'pay_test',
    });
    expect((await view()).state).toBe('confirmed');
  });

  it('refuses a malformed payment event and a bad payment request, changing nothing', async () => {
    const { order, pay, view, event } = await buyer();
    expect((await event('premiere.payment.approved', { orderId: 'nope' })).status).toBe(400);
    const badId = await event('premiere.payment.approved', { orderId: order.orderId, paymentId: 'pay-1' });
    expect(badId.status).toBe(400);
    expect((await badId.json()).error).toContain('"paymentId" must be "<order id>:<attempt>"');
    expect((await pay('no spaces allowed')).status).toBe(400);
    expect((await view()).state).toBe('pending_payment');
  });
});

describe('availability for the catalog and the line', () => {
  it('lists a show few left / sold out as its seats are held, back when they are freed, and tells the line when all are sold', async () => {
    const showId = await addTestShow(world.db.url, { seats: 3 });
    const r = await world.replica();
    const redisOf = r.fn.ctx.redis;
    // The show has a waiting room (made by issue-token on first join; a bare one is enough here).
    await redisOf.hset(roomKeys(showId).room, { quota: 3, seatsSoldOut: 0 });
    const availability = () => redisOf.get(seatAvailabilityKey(showId));
    const events = async () =>
      (
        await world.sql(
          "SELECT data->>'availability' AS a FROM reserve_seat.outbox WHERE type = 'premiere.show.availability.changed' AND subject = $1 ORDER BY id",
          [showId],
        )
      ).map((x) => x.a);

    const first = await holdSeats(r, {
      showId,
      visitor: 1,
      sessionHash: 'a',
      seats: [{ seat: 'A1', ticketType: 'full' }],
      extras: [],
    });
    expect(await availability()).toBe('available');
    const second = await holdSeats(r, {
      showId,
      visitor: 2,
      sessionHash: 'b',
      seats: [
        { seat: 'A2', ticketType: 'full' },
        { seat: 'A3', ticketType: 'full' },
      ],
      extras: [],
    });
    expect(await availability()).toBe('sold_out');
    expect(await redisOf.hget(roomKeys(showId).room, 'seatsSoldOut')).toBe('0'); // held, not sold: holds may lapse
    expect(await redisOf.hget(roomKeys(showId).room, 'seatsFree')).toBe('0');
    expect(await redisOf.hget(roomKeys(showId).room, 'seatsPerOrder')).toBe('1.5'); // the line's estimates use it
    expect(await redisOf.get(SEATS_PER_ORDER_MEMORY_KEY)).toBe('1.5'); // and a new sale's line starts from it
    await cancelOrder(r, second.orderId, 'b');
    expect(await redisOf.hget(roomKeys(showId).room, 'seatsFree')).toBe('2');
    expect(await availability()).toBe('available');
    expect(await events()).toEqual(['available', 'sold_out', 'available']);

    // Everything sold: the line is told.
    const rest = await holdSeats(r, {
      showId,
      visitor: 3,
      sessionHash: 'c',
      seats: [
        { seat: 'A2', ticketType: 'full' },
        { seat: 'A3', ticketType: 'full' },
      ],
      extras: [],
    });
    for (const o of [first, rest]) {
      await r.fn.ctx.transaction(async (tx) => {
        await requestPayment(tx, r.fn.ctx.log, o.orderId, 'tok_visa');
      });
      await paymentApproved(r.fn.deps.orders, r.fn.ctx.log, {
        orderId: o.orderId,
        paymentId: `${o.orderId}:1`,
        amountCents: o.totalCents,
        currency: o.currency,
      });
    }
    expect(await redisOf.hget(roomKeys(showId).room, 'seatsSoldOut')).toBe('1');
    expect(await availability()).toBe('sold_out');
  });
});
