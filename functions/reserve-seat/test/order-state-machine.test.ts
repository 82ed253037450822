import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createLogger, inTransaction, schemaOf, createPool, type Transaction } from '@premiere/runtime';
import { captureLogs, createTestDatabase, type TestDatabase } from '@premiere/testing';
import {
  IllegalTransition,
  ORDER_STATES,
  ORDER_TRANSITIONS,
  transitionOrder,
  type OrderState,
} from '../src/order-state-machine';

let db: TestDatabase;
let pool: pg.Pool;
const logs = captureLogs();
const log = createLogger({ name: 'test', level: 'info' }, logs.stream);

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool({ url: db.url, schema: schemaOf('reserve-seat'), max: 4 });
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

const tx = <T>(fn: (t: Transaction) => Promise<T>) =>
  inTransaction(pool, (client) =>
    fn({
      query: client.query.bind(client) as Transaction['query'],
      emit: async () => undefined,
      republish: async () => undefined,
    }),
  );

async function orderIn(state: OrderState): Promise<string> {
  const id = randomUUID();
  await pool.query(
    `INSERT INTO orders (id, show_id, visitor, session_hash, state, hold_expires_at, currency, total_cents)
       VALUES ($1, 'a-show', 1, 'session', $2, now() + interval '2 minutes', 'BRL', 5000)`,
    [id, state],
  );
  return id;
}

const trail = async (id: string) =>
  (await pool.query('SELECT from_state, to_state, cause FROM order_transitions WHERE order_id = $1 ORDER BY id', [id]))
    .rows;
const stateOf = async (id: string) => (await pool.query('SELECT state FROM orders WHERE id = $1', [id])).rows[0].state;

describe('the order state machine', () => {
  const pairs = ORDER_STATES.flatMap((from) => ORDER_STATES.map((to) => [from, to] as const));
  const legal = pairs.filter(([from, to]) => ORDER_TRANSITIONS[from].includes(to));
  const illegal = pairs.filter(([from, to]) => !ORDER_TRANSITIONS[from].includes(to));

  it('has the transitions the order needs, and no others', () => {
    expect(legal.map(([f, t]) => `${f} → ${t}`).sort()).toEqual(
      [
        'pending_payment → awaiting_payment',
        'pending_payment → expired',
        'pending_payment → cancelled',
        'awaiting_payment → confirmed',
        'awaiting_payment → pending_payment',
        'awaiting_payment → expired',
        'awaiting_payment → refund_required',
        'expired → refund_required',
        'cancelled → refund_required',
      ].sort(),
    );
  });

  it.each(legal)('moves %s → %s and records it with its cause', async (from, to) => {
    const id = await orderIn(from);
    expect(await tx((t) => transitionOrder(t, log, { orderId: id, to, cause: 'a test' }))).toBe(from);
    expect(await stateOf(id)).toBe(to);
    expect(await trail(id)).toEqual([{ from_state: from, to_state: to, cause: 'a test' }]);
  });

  it.each(illegal)('refuses %s → %s, logs it and changes nothing', async (from, to) => {
    const id = await orderIn(from);
    const err = await tx((t) => transitionOrder(t, log, { orderId: id, to, cause: 'a test' })).catch((e) => e);
    expect(err).toBeInstanceOf(IllegalTransition);
    expect(err.message).toBe(`order ${id} cannot go from ${from} to ${to}`);
    expect(await stateOf(id)).toBe(from);
    expect(await trail(id)).toEqual([]);
    expect(logs.lines.some((l) => l.msg === 'illegal order transition refused' && l.orderId === id)).toBe(true);
  });

  it('refuses to move an order that does not exist', async () => {
    await expect(
      tx((t) => transitionOrder(t, log, { orderId: randomUUID(), to: 'confirmed', cause: 'x' })),
    ).rejects.toThrow(/does not exist/);
  });

  it('keeps the reason a payment was rejected, for the buyer', async () => {
    const id = await orderIn('awaiting_payment');
    await tx((t) =>
      transitionOrder(t, log, {
        orderId: id,
        to: 'pending_payment',
        cause: 'payment rejected',
        rejectionReason: 'card declined',
      }),
    );
    expect((await pool.query('SELECT rejection_reason FROM orders WHERE id = $1', [id])).rows[0].rejection_reason).toBe(
      'card declined',
    );
  });

  it('lets a seat of a show be claimed by one order only (the database is the referee)', async () => {
    const [a, b] = [await orderIn('pending_payment'), await orderIn('pending_payment')];
    await pool.query("INSERT INTO seat_claims (show_id, seat, order_id) VALUES ('a-show', 'F12', $1)", [a]);
    await expect(
      pool.query("INSERT INTO seat_claims (show_id, seat, order_id) VALUES ('a-show', 'F12', $1)", [b]),
    ).rejects.toThrow(/duplicate key/);
    await pool.query("INSERT INTO seat_claims (show_id, seat, order_id) VALUES ('another-show', 'F12', $1)", [b]);
  });
});
