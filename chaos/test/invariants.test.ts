import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@premiere/testing';
import { loadDemoCatalog, PREMIERE_SHOW_ID } from '@premiere/local-stack/demo-catalog';
import { Recorder } from '@premiere/burst/recorder';
import { ChaosClient, type Place } from '../src/crowd';
import * as check from '../src/invariants';

// Each invariant, given records that break it (our database, the simulators' records, what the
// crowd was told), says so; given records that keep it, says nothing.
let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase();
  await loadDemoCatalog(db.url);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});

afterAll(async () => {
  await client.end();
  await db.drop();
});

beforeEach(async () => {
  await client.query(
    'TRUNCATE reserve_seat.tickets, reserve_seat.seat_claims, reserve_seat.order_seats, reserve_seat.orders CASCADE',
  );
});

/** An order of the 24-seat premiere, its hold running out `holdEndsInS` from now, with tickets for `tickets`. */
async function order(
  state: string,
  tickets: string[] = [],
  holdEndsInS = 60,
  show = PREMIERE_SHOW_ID,
): Promise<string> {
  const id = randomUUID();
  await client.query(
    `INSERT INTO reserve_seat.orders (id, show_id, visitor, session_hash, state, hold_expires_at, currency, total_cents)
     VALUES ($1, $2, 1, 'session', $3, now() + $4 * interval '1 second', 'BRL', 1000)`,
    [id, show, state, holdEndsInS],
  );
  for (const seat of tickets)
    await client.query('INSERT INTO reserve_seat.tickets (code, order_id, show_id, seat) VALUES ($1, $2, $3, $4)', [
      `${id}-${seat}`,
      id,
      show,
      seat,
    ]);
  return id;
}

const charge = (reference: string | null, more: Partial<check.ProviderPayment> = {}): check.ProviderPayment => ({
  id: `pay_${randomUUID()}`,
  status: 'approved',
  reference,
  refunded: false,
  ...more,
});

describe('no seat sold twice, sold ≤ capacity', () => {
  it('holds for tickets within the room', async () => {
    await order('confirmed', ['A1', 'A2']);
    expect(await check.oversold(client, [`${PREMIERE_SHOW_ID} A1`, `${PREMIERE_SHOW_ID} A2`])).toEqual({
      count: 0,
      details: [],
    });
  });

  it('counts more seats sold than the room has', async () => {
    const seats = ['A', 'B', 'C', 'D', 'E'].flatMap((row) => [1, 2, 3, 4, 5].map((n) => `${row}${n}`)); // 25 seats in a 24-seat room
    await order('confirmed', seats);
    const found = await check.oversold(client, []);
    expect(found.count).toBe(1);
    expect(found.details).toEqual([`${PREMIERE_SHOW_ID}: 25 seats sold of 24`]);
  });

  it('counts a seat ticketed twice (were the unique constraint ever lost) and a seat two visitors were told they bought', async () => {
    await client.query('ALTER TABLE reserve_seat.tickets DROP CONSTRAINT tickets_show_id_seat_key');
    try {
      await order('confirmed', ['A1']);
      await order('confirmed', ['A1']);
      const found = await check.oversold(client, [`${PREMIERE_SHOW_ID} B1`, `${PREMIERE_SHOW_ID} B1`]);
      expect(found.count).toBe(2);
      expect(found.details).toEqual([
        `${PREMIERE_SHOW_ID}: 1 seats ticketed twice`,
        `2 visitors were told they bought ${PREMIERE_SHOW_ID} B1`,
      ]);
    } finally {
      await client.query('TRUNCATE reserve_seat.tickets CASCADE');
      await client.query('ALTER TABLE reserve_seat.tickets ADD UNIQUE (show_id, seat)');
    }
  });
});

describe('one charge per paid order, a refund for every charge without tickets', () => {
  it('holds when each paid order was charged once and every other charge refunded or declined', async () => {
    const paid = await order('confirmed', ['A1']);
    const expired = await order('expired');
    const found = await check.charges(client, [
      charge(paid),
      charge(expired, { refunded: true }),
      charge(expired, { status: 'declined' }),
    ]);
    expect(found.doubleCharges.count + found.unrefunded.count + found.unpaidTickets.count).toBe(0);
  });

  it('counts a paid order charged twice, charges kept without tickets or for no order of ours, and tickets nobody paid', async () => {
    const twice = await order('confirmed', ['A1']);
    const refundDue = await order('refund_required');
    const free = await order('confirmed', ['A2']);
    const found = await check.charges(client, [
      charge(twice),
      charge(twice),
      charge(refundDue),
      charge('not-an-order'),
      charge(free, { refunded: true }),
    ]);
    expect(found.doubleCharges).toEqual({ count: 1, details: [`order ${twice} (confirmed) charged 2 times`] });
    expect(found.unrefunded.count).toBe(2);
    expect(found.unrefunded.details).toEqual([
      `order ${refundDue} (refund_required, no tickets): 1 charge(s) not refunded`,
      'a charge for not-an-order, which is no order of ours, not refunded',
    ]);
    expect(found.unpaidTickets).toEqual({
      count: 1,
      details: [`order ${free} (confirmed) has 1 tickets and no charge`],
    });
  });
});

describe('seats booked in the legacy system equal our tickets', () => {
  const hold = (seats: string[], status: check.LegacyHold['status']): check.LegacyHold => ({
    id: randomUUID(),
    showId: PREMIERE_SHOW_ID,
    seats,
    status,
  });

  it('holds when the booked seats are the ticketed ones (held and released holds do not count)', async () => {
    await order('confirmed', ['A1', 'A2']);
    expect(
      (await check.legacyAgrees(client, [hold(['A1', 'A2'], 'booked'), hold(['B1'], 'held'), hold(['B2'], 'released')]))
        .count,
    ).toBe(0);
  });

  it('counts a ticket the legacy system never booked, and a booking without a ticket', async () => {
    await order('confirmed', ['A1', 'A2']);
    const found = await check.legacyAgrees(client, [hold(['A1'], 'booked'), hold(['C3'], 'booked')]);
    expect(found.count).toBe(2);
    expect(found.details).toEqual([
      `1 ticketed seats not booked in the legacy system (${PREMIERE_SHOW_ID} A2)`,
      `1 seats booked in the legacy system without a ticket (${PREMIERE_SHOW_ID} C3)`,
    ]);
  });
});

describe('no order stuck', () => {
  it('counts orders still holding seats past their hold’s end and its grace, not those within it or ended', async () => {
    const late = await order('pending_payment', [], -60);
    const latePaying = await order('awaiting_payment', [], -30);
    await order('pending_payment', [], 30); // still held
    await order('awaiting_payment', [], -5); // within the grace
    await order('expired', [], -600);
    await order('confirmed', ['A1'], -600);
    const found = await check.stuckOrders(client, 10);
    expect(found.count).toBe(2);
    expect(found.details[0]).toContain(late);
    expect(found.details[0]).toContain(latePaying);
  });
});

describe('outbox drained', () => {
  it('counts events committed and never published, in every function’s schema', async () => {
    expect(await check.outboxLeft(client)).toEqual({ count: 0, details: [] });
    await client.query(
      `INSERT INTO reserve_seat.outbox (event_id, type, data) VALUES ($1, 'premiere.hold.expired', '{}'), ($2, 'premiere.hold.expired', '{}')`,
      [randomUUID(), randomUUID()],
    );
    await client.query(
      `INSERT INTO issue_token.outbox (event_id, type, data, published_at) VALUES ($1, 'premiere.visitors.waiting', '{}', now())`,
      [randomUUID()],
    );
    expect(await check.outboxLeft(client)).toEqual({
      count: 2,
      details: ['reserve_seat: 2 events never published (premiere.hold.expired)'],
    });
    await client.query('TRUNCATE reserve_seat.outbox, issue_token.outbox');
  });
});

describe('dead letters none or all replayed, none lost', () => {
  const letter = (key: string, replayed = false): check.DeadLetterSeen => ({
    key,
    type: 'premiere.refund.requested',
    replayed,
  });

  it('holds with none, or all replayed', () => {
    const seen = new Map([['a', letter('a')]]);
    expect(check.deadLetters([], new Map())).toEqual({
      left: { count: 0, details: [] },
      lost: { count: 0, details: [] },
    });
    expect(check.deadLetters([letter('a', true)], seen)).toEqual({
      left: { count: 0, details: [] },
      lost: { count: 0, details: [] },
    });
  });

  it('counts letters not replayed, and letters seen during the run that the store no longer has', () => {
    const seen = new Map([
      ['a', letter('a')],
      ['b', letter('b')],
    ]);
    const found = check.deadLetters([letter('a')], seen);
    expect(found.left).toEqual({ count: 1, details: ['1 dead letters not replayed (1 premiere.refund.requested)'] });
    expect(found.lost).toEqual({
      count: 1,
      details: ['1 dead letters seen during the run are gone from the store (premiere.refund.requested b)'],
    });
  });
});

describe('every waiting visitor still in line at the same place, or served', () => {
  const chaosClient = new ChaosClient('http://127.0.0.1:9', new Recorder(), 1_000, 1);
  const place = (more: Partial<Place> = {}): Place => ({
    show: 's',
    token: 't',
    place: 7,
    state: 'waiting',
    leftOnPurpose: false,
    lost: null,
    ...more,
  });
  const told = (p: Place, status: number, body: object) => (
    chaosClient.told(p, { status, body, headers: {}, ms: 1 }),
    p
  );

  it('holds for a visitor still waiting at its place, admitted, finished, or one that left of its own accord', () => {
    const places = [
      told(place(), 200, { state: 'waiting', place: 7 }),
      told(place(), 200, { state: 'admitted', place: 7 }),
      told(place({ state: 'admitted' }), 200, { state: 'finished', place: 7 }),
      told(place({ leftOnPurpose: true }), 200, { state: 'left', place: 7 }),
      told(place({ place: null, state: 'pre_queue' }), 200, { state: 'waiting', place: 12 }), // its place drawn when sales opened
    ];
    expect(check.lostPlaces(places)).toEqual({ count: 0, details: [] });
  });

  it('counts a visitor told expired or left, given another place, or unknown', () => {
    const places = [
      told(place(), 200, { state: 'expired', place: null }),
      told(place(), 200, { state: 'left', place: 7 }),
      told(place(), 200, { state: 'waiting', place: 1 }),
      told(place(), 404, {}),
      told(place({ state: 'admitted' }), 200, { state: 'expired', place: 7 }),
    ];
    expect(check.lostPlaces(places)).toEqual({
      count: 5,
      details: [
        '5 visitors lost their place (1 told "expired" while waiting; 1 told "left" while waiting; 1 moved from place 7 to 1; 1 status answered 404; 1 told "expired" after "admitted")',
      ],
    });
  });

  it('does not count a 5xx: the visitor asks again', () => {
    expect(check.lostPlaces([told(place(), 502, {})]).count).toBe(0);
  });
});

describe('5xx only inside the fault windows', () => {
  const windows = [{ name: 'kill -9 edge', start: 10_000, end: 12_000 }];

  it('allows errors overlapping a window or its grace', () => {
    const exchanges = [
      { step: 'status' as const, status: 502, sentAt: 10_500, at: 10_501 },
      { step: 'hold' as const, status: null, sentAt: 9_000, at: 10_100 }, // asked before, failed during
      { step: 'status' as const, status: 500, sentAt: 16_000, at: 16_001 }, // within the 5 s grace
      { step: 'status' as const, status: 200, sentAt: 30_000, at: 30_001 },
    ];
    expect(check.errorsOutside(exchanges, windows, 5_000)).toEqual({ count: 0, details: [] });
  });

  it('counts 5xx and unanswered requests before a window or after its grace', () => {
    const exchanges = [
      { step: 'status' as const, status: 500, sentAt: 1_000, at: 1_200 },
      { step: 'pay' as const, status: null, sentAt: 17_500, at: 18_000 },
    ];
    expect(check.errorsOutside(exchanges, windows, 5_000)).toEqual({
      count: 2,
      details: ['2 errors outside the fault windows (1 × status 500, 1 × pay no answer; first at 1.2 s)'],
    });
  });
});

describe('the legacy limit never exceeded', () => {
  it('holds at the limit, fails above it or when nobody saw', () => {
    expect(check.legacyLimit({ maxConcurrency: 10, limit: 10 }).count).toBe(0);
    expect(check.legacyLimit({ maxConcurrency: 11, limit: 10 }).details).toEqual([
      'the legacy system saw 11 calls at once, above its limit of 10',
    ]);
    expect(check.legacyLimit({ maxConcurrency: null, limit: null }).count).toBe(1);
  });
});
