import type pg from 'pg';
import type { Exchange, Place } from './crowd';

/**
 * The invariants `npm run chaos` checks once the stack has recovered, each from the record that
 * can tell: our database, the payment provider's and the legacy system's own records (the
 * simulators'), the dead-letter store, and what the crowd was told. Each returns a count (0: it
 * holds) and what broke, in words.
 */
export interface Finding {
  count: number;
  details: string[];
}

type Query = Pick<pg.ClientBase, 'query'>;

const found = (details: string[], count = details.length): Finding => ({ count, details });
const some = (list: string[], max = 5) =>
  list.slice(0, max).join('; ') + (list.length > max ? `; and ${list.length - max} more` : '');

/** A charge as the payment provider keeps it (simulators/src/payment-provider.ts, GET /records). */
export interface ProviderPayment {
  id: string;
  status: 'approved' | 'declined';
  /** Our order id (process-payment sends it as the reference). */
  reference: string | null;
  refunded: boolean;
}

/** A hold as the legacy system keeps it (simulators/src/legacy-cinema.ts, GET /records). */
export interface LegacyHold {
  id: string;
  showId: string;
  seats: string[];
  status: 'held' | 'booked' | 'released';
}

/**
 * No seat sold twice, and never more sold than a show has seats: tickets per show against its
 * room's seats in the catalog, and the seats the crowd was told it bought (`${show} ${seat}`).
 */
export async function oversold(db: Query, crowdSeats: string[]): Promise<Finding> {
  const { rows } = await db.query<{ show_id: string; sold: number; seats: number; capacity: number }>(
    `SELECT t.show_id, count(*)::int AS sold, count(DISTINCT t.seat)::int AS seats,
            (SELECT count(*)::int FROM render_catalog.shows sh JOIN render_catalog.seats s ON s.room_id = sh.room_id WHERE sh.id = t.show_id) AS capacity
       FROM reserve_seat.tickets t GROUP BY t.show_id ORDER BY t.show_id`,
  );
  const details: string[] = [];
  let count = 0;
  for (const r of rows) {
    if (r.sold > r.seats) {
      count += r.sold - r.seats;
      details.push(`${r.show_id}: ${r.sold - r.seats} seats ticketed twice`);
    }
    if (r.seats > r.capacity) {
      count += r.seats - r.capacity;
      details.push(`${r.show_id}: ${r.seats} seats sold of ${r.capacity}`);
    }
  }
  const told = new Map<string, number>();
  for (const s of crowdSeats) told.set(s, (told.get(s) ?? 0) + 1);
  const twice = [...told].filter(([, n]) => n > 1);
  for (const [seat, n] of twice) {
    count += n - 1;
    details.push(`${n} visitors were told they bought ${seat}`);
  }
  return { count, details };
}

/**
 * Exactly one charge per paid order (an order with tickets), and every other charge refunded:
 * the provider's own records against our orders and tickets.
 */
export async function charges(
  db: Query,
  payments: ProviderPayment[],
): Promise<{ doubleCharges: Finding; unrefunded: Finding; unpaidTickets: Finding }> {
  const { rows } = await db.query<{ id: string; state: string; tickets: number }>(
    `SELECT o.id, o.state, (SELECT count(*)::int FROM reserve_seat.tickets t WHERE t.order_id = o.id) AS tickets FROM reserve_seat.orders o`,
  );
  const orders = new Map(rows.map((r) => [r.id, r]));
  const kept = new Map<string, number>(); // order (reference) → charges approved and not refunded
  for (const p of payments)
    if (p.status === 'approved' && !p.refunded)
      kept.set(p.reference ?? `(no reference) ${p.id}`, (kept.get(p.reference ?? `(no reference) ${p.id}`) ?? 0) + 1);
  const double: string[] = [];
  const unrefunded: string[] = [];
  const unpaid: string[] = [];
  let doubleCount = 0;
  let unrefundedCount = 0;
  for (const [ref, n] of kept) {
    const order = orders.get(ref);
    if (order && order.tickets > 0) {
      if (n > 1) {
        doubleCount += n - 1;
        double.push(`order ${ref} (${order.state}) charged ${n} times`);
      }
    } else {
      unrefundedCount += n;
      unrefunded.push(
        order
          ? `order ${ref} (${order.state}, no tickets): ${n} charge(s) not refunded`
          : `a charge for ${ref}, which is no order of ours, not refunded`,
      );
    }
  }
  for (const o of rows)
    if (o.tickets > 0 && !kept.has(o.id))
      unpaid.push(`order ${o.id} (${o.state}) has ${o.tickets} tickets and no charge`);
  return {
    doubleCharges: found(double, doubleCount),
    unrefunded: found(unrefunded, unrefundedCount),
    unpaidTickets: found(unpaid),
  };
}

/** The seats booked in the legacy system are exactly the seats we issued tickets for. */
export async function legacyAgrees(db: Query, holds: LegacyHold[]): Promise<Finding> {
  const { rows } = await db.query<{ show_id: string; seat: string }>('SELECT show_id, seat FROM reserve_seat.tickets');
  const ours = new Set(rows.map((r) => `${r.show_id} ${r.seat}`));
  const theirs = new Set(
    holds.filter((h) => h.status === 'booked').flatMap((h) => h.seats.map((s) => `${h.showId} ${s}`)),
  );
  const details: string[] = [];
  const notBooked = [...ours].filter((s) => !theirs.has(s));
  const noTicket = [...theirs].filter((s) => !ours.has(s));
  if (notBooked.length)
    details.push(`${notBooked.length} ticketed seats not booked in the legacy system (${some(notBooked)})`);
  if (noTicket.length)
    details.push(`${noTicket.length} seats booked in the legacy system without a ticket (${some(noTicket)})`);
  return found(details, notBooked.length + noTicket.length);
}

/** No order left holding seats (pending or awaiting payment) more than `graceSeconds` past its hold's end. */
export async function stuckOrders(db: Query, graceSeconds: number): Promise<Finding> {
  const { rows } = await db.query<{ id: string; state: string; late_s: number }>(
    `SELECT id, state, round(extract(epoch FROM now() - hold_expires_at))::int AS late_s FROM reserve_seat.orders
      WHERE state IN ('pending_payment', 'awaiting_payment') AND hold_expires_at < now() - $1 * interval '1 second' ORDER BY hold_expires_at`,
    [graceSeconds],
  );
  return found(
    rows.length
      ? [
          `${rows.length} orders still holding seats after their hold ran out (${some(rows.map((r) => `${r.id} ${r.state} ${r.late_s} s late`))})`,
        ]
      : [],
    rows.length,
  );
}

/** Every event a function committed to its outbox was published (each function's schema). */
export async function outboxLeft(db: Query): Promise<Finding> {
  const { rows: schemas } = await db.query<{ schema: string }>(
    `SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'outbox' ORDER BY 1`,
  );
  const details: string[] = [];
  let count = 0;
  for (const { schema } of schemas) {
    const { rows } = await db.query<{ n: number; types: string[] }>(
      `SELECT count(*)::int AS n, coalesce(array_agg(DISTINCT type), '{}') AS types FROM "${schema}".outbox WHERE published_at IS NULL`,
    );
    if (rows[0].n > 0) {
      count += rows[0].n;
      details.push(`${schema}: ${rows[0].n} events never published (${rows[0].types.join(', ')})`);
    }
  }
  return found(details, count);
}

/** A dead letter as chaos sees it, from the admin API or the local broker. */
export interface DeadLetterSeen {
  /** The event's id and the subscription it failed for. */
  key: string;
  type: string;
  replayed: boolean;
}

/**
 * Dead letters none or all replayed; and none lost: each letter seen during the run must still be
 * in the store at the end (or replayed).
 */
export function deadLetters(
  final: DeadLetterSeen[],
  seen: Map<string, DeadLetterSeen>,
): { left: Finding; lost: Finding } {
  const left = final.filter((l) => !l.replayed);
  const byType = new Map<string, number>();
  for (const l of left) byType.set(l.type, (byType.get(l.type) ?? 0) + 1);
  const still = new Set(final.map((l) => l.key));
  const lost = [...seen.values()].filter((l) => !l.replayed && !still.has(l.key));
  return {
    left: found(
      left.length
        ? [`${left.length} dead letters not replayed (${[...byType].map(([t, n]) => `${n} ${t}`).join(', ')})`]
        : [],
      left.length,
    ),
    lost: found(
      lost.length
        ? [
            `${lost.length} dead letters seen during the run are gone from the store (${some(lost.map((l) => `${l.type} ${l.key}`))})`,
          ]
        : [],
      lost.length,
    ),
  };
}

/**
 * Every visitor who joined kept its place or was served: none was told expired, left or unknown,
 * nor given another place, unless it left of its own accord (during the run, and at the last look).
 */
export function lostPlaces(places: Iterable<Place>): Finding {
  const lost = [...places].filter((p) => p.lost !== null && !p.leftOnPurpose);
  const why = new Map<string, number>();
  for (const p of lost) why.set(p.lost!, (why.get(p.lost!) ?? 0) + 1);
  return found(
    lost.length
      ? [
          `${lost.length} visitors lost their place (${some([...why].sort((a, b) => b[1] - a[1]).map(([w, n]) => `${n} ${w}`))})`,
        ]
      : [],
    lost.length,
  );
}

/** A fault's window, in ms since the run's start (end: when it recovered, or gave up waiting). */
export interface Window {
  name: string;
  start: number;
  end: number;
}

/**
 * 5xx (and requests left without an answer) only inside a fault window or within `graceMs` after
 * it: an exchange counts as inside when its asking-to-answer span overlaps the window.
 */
export function errorsOutside(exchanges: Exchange[], windows: Window[], graceMs: number): Finding {
  const outside = exchanges.filter(
    (e) =>
      (e.status === null || e.status >= 500) && !windows.some((w) => e.at >= w.start && e.sentAt <= w.end + graceMs),
  );
  const bySteps = new Map<string, number>();
  for (const e of outside) {
    const k = `${e.step} ${e.status ?? 'no answer'}`;
    bySteps.set(k, (bySteps.get(k) ?? 0) + 1);
  }
  return found(
    outside.length
      ? [
          `${outside.length} errors outside the fault windows (${[...bySteps].map(([k, n]) => `${n} × ${k}`).join(', ')}; first at ${Math.round(outside[0].at / 100) / 10} s)`,
        ]
      : [],
    outside.length,
  );
}

/** The legacy system's concurrency never above its limit (its simulator's own count). */
export function legacyLimit(legacy: { maxConcurrency: number | null; limit: number | null }): Finding {
  if (legacy.maxConcurrency === null || legacy.limit === null)
    return found(['the legacy system’s concurrency was not observed (its /stats did not answer)']);
  if (legacy.maxConcurrency > legacy.limit)
    return found([`the legacy system saw ${legacy.maxConcurrency} calls at once, above its limit of ${legacy.limit}`]);
  return found([]);
}
