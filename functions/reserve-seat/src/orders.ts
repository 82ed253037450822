import { randomUUID } from 'node:crypto';
import { holdExpired, holdReleased, seatReleased, visitorActive } from '@premiere/contracts';
import type { FunctionContext, Logger, Transaction } from '@premiere/runtime';
import type { ShowHeading } from '@premiere/contracts';
import { LegacyRefused, type LegacyClient } from './legacy';
import { refreshSeatAvailability } from './availability';
import { IllegalTransition, transitionOrder } from './order-state-machine';
import { admitHold, endVisit, placeGone, type Visits } from './visits';

export interface SeatChoice {
  seat: string;
  ticketType: 'full' | 'half';
}

export interface ExtraChoice {
  extraId: string;
  quantity: number;
}

/**
 * Why an order was refused, for the pages' scripts, which say it in the visitor's language (the
 * answer's `message` is English, for apps).
 */
export type RefusalReason =
  | 'seats_taken'
  | 'no_such_seats'
  | 'no_such_extras'
  | 'no_show'
  | 'no_order'
  | 'order_closed'
  | 'hold_expired'
  | 'open_order'
  | 'visit_seats'
  | 'network_share';

/** The buyer asked for something the show or their visit does not allow (400/404/409 at the edge); `details` go into the answer. */
export class OrderRefused extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 429,
    readonly reason: RefusalReason,
    message: string,
    readonly seats: string[] = [],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'OrderRefused';
  }
}

export interface HeldOrder {
  orderId: string;
  showId: string;
  state: 'pending_payment';
  holdExpiresAt: string;
  currency: string;
  totalCents: number;
  seats: (SeatChoice & { priceCents: number })[];
  extras: (ExtraChoice & { priceCents: number })[];
}

type Deps = Pick<FunctionContext, 'db' | 'redis' | 'transaction'> & {
  legacy: LegacyClient;
  log: Logger;
  holdSeconds: number;
  /** Seats one visit may hold or buy, over all its orders. */
  maxSeatsPerVisit: number;
  /** The share of a show's seats one address may hold unpaid (0: no limit). */
  heldSeatsShareByAddress: number;
  /** Whether the waiting room still counts the visitor as admitted (false: they left, their turn lapsed; null: unknown). */
  admissionHolds: (showId: string, visitor: number) => Promise<boolean | null>;
  /** This replica's view of visits, told when one ends here. */
  visits?: Pick<Visits, 'forget'>;
};

/**
 * Holds seats for an admitted visitor: priced here from the catalog (whatever the client may
 * think a seat costs), checked against their visit (open, no other order holding seats, within the
 * visit's seats: visits.ts, under the visit's row lock), claimed in our record first (the referee: a
 * seat taken by another order fails here, 409), then held in the legacy system. If the legacy
 * system says no, the claim is given back and the order cancelled with the reason (the visit goes
 * on: the buyer may choose other seats); if this process dies in between, the expiry sweep
 * releases the claim when the hold time is up.
 */
export async function holdSeats(
  deps: Deps,
  input: {
    showId: string;
    visitor: number;
    sessionHash: string;
    seats: SeatChoice[];
    extras: ExtraChoice[];
    addressHash?: string;
  },
): Promise<HeldOrder> {
  // A visitor who gave their place up in the waiting room (their token went back to the show) holds nothing.
  if ((await deps.admissionHolds(input.showId, input.visitor)) === false)
    throw await placeGone(deps.db, input.showId, input.visitor, input.sessionHash);
  const orderId = randomUUID();
  const holdExpiresAt = new Date(Date.now() + deps.holdSeconds * 1000);
  let priced!: Priced;
  try {
    // Priced and recorded on one connection: a hold under way goes on to the legacy system rather
    // than queue for the pool again behind every hold that came after it.
    await deps.transaction(async (tx) => {
      priced = await price(tx.query, input);
      await admitHold(tx, {
        showId: input.showId,
        visitor: input.visitor,
        sessionHash: input.sessionHash,
        seats: input.seats.length,
        maxSeats: deps.maxSeatsPerVisit,
        addressHash: input.addressHash,
        heldShareByAddress: deps.heldSeatsShareByAddress,
      });
      // The order with its lines and first transition in one statement (round trips are what a
      // crowd of holds waits on); the claim on its own, after it (see below).
      await tx.query(
        `WITH held AS (
           INSERT INTO orders (id, show_id, visitor, session_hash, state, hold_expires_at, currency, total_cents, address_hash)
             VALUES ($1, $2, $3, $4, 'pending_payment', $5, $6, $7, $14)),
         seats AS (
           INSERT INTO order_seats (order_id, seat, ticket_type, price_cents) SELECT $1, * FROM unnest($8::text[], $9::text[], $10::int[])),
         extras AS (
           INSERT INTO order_extras (order_id, extra_id, quantity, price_cents) SELECT $1, * FROM unnest($11::text[], $12::int[], $13::int[]))
         INSERT INTO order_transitions (order_id, from_state, to_state, cause) VALUES ($1, NULL, 'pending_payment', 'seats held')`,
        [
          orderId,
          input.showId,
          input.visitor,
          input.sessionHash,
          holdExpiresAt,
          priced.currency,
          priced.totalCents,
          priced.seats.map((s) => s.seat),
          priced.seats.map((s) => s.ticketType),
          priced.seats.map((s) => s.priceCents),
          priced.extras.map((e) => e.extraId),
          priced.extras.map((e) => e.quantity),
          priced.extras.map((e) => e.priceCents),
          input.addressHash ?? null,
        ],
      );
      // One statement, seats in a fixed order: two orders racing for overlapping seats wait for
      // each other (the loser fails), never deadlock.
      await tx.query(
        'INSERT INTO seat_claims (show_id, seat, order_id) SELECT $1, seat, $3 FROM unnest($2::text[]) AS seat ORDER BY seat',
        [input.showId, priced.seats.map((s) => s.seat), orderId],
      );
    });
  } catch (err) {
    if ((err as { code?: string }).code !== '23505') throw err; // unique violation: a seat is claimed
    const { rows } = await deps.db.query<{ seat: string }>(
      'SELECT seat FROM seat_claims WHERE show_id = $1 AND seat = ANY($2) ORDER BY seat',
      [input.showId, priced.seats.map((s) => s.seat)],
    );
    throw new OrderRefused(
      409,
      'seats_taken',
      'some of these seats were just taken',
      rows.map((r) => r.seat),
    );
  }

  let hold: { holdId: string; expiresAt: string };
  try {
    hold = await deps.legacy.hold(
      input.showId,
      priced.seats.map((s) => s.seat),
    );
  } catch (err) {
    // Not held there (taken, or refused), or not known to be (a timeout: a hold made there without
    // our knowing lapses by itself): give our claim back.
    const reason =
      err instanceof LegacyRefused && err.status === 409
        ? 'the cinema’s system has these seats taken'
        : (err as Error).message;
    await deps.transaction((tx) => release(tx, deps.log, orderId, 'cancelled', `the hold failed: ${reason}`));
    if (err instanceof LegacyRefused && err.status === 409)
      throw new OrderRefused(409, 'seats_taken', 'some of these seats were just taken', err.body?.seats ?? []);
    throw err;
  }
  // Never promise a hold longer than the legacy system's own.
  const expiresAt = new Date(Math.min(holdExpiresAt.getTime(), Date.parse(hold.expiresAt)));
  await deps.transaction(async (tx) => {
    await tx.query('UPDATE orders SET hold_id = $2, hold_expires_at = $3, updated_at = now() WHERE id = $1', [
      orderId,
      hold.holdId,
      expiresAt,
    ]);
    // The buyer keeps their zone slot as long as they hold seats.
    await tx.emit(
      visitorActive.event({ showId: input.showId, visitor: input.visitor, until: expiresAt.toISOString() }),
    );
    await refreshSeatAvailability(tx.query, deps.redis, tx.emit, input.showId);
  });
  return { orderId, showId: input.showId, state: 'pending_payment', holdExpiresAt: expiresAt.toISOString(), ...priced };
}

/** Ends a holding order (cancelled or expired): its seats are free again in our record. */
export async function release(
  tx: Transaction,
  log: Logger,
  orderId: string,
  to: 'cancelled' | 'expired',
  cause: string,
): Promise<string[]> {
  await transitionOrder(tx, log, { orderId, to, cause });
  const { rows } = await tx.query<{ seat: string }>('DELETE FROM seat_claims WHERE order_id = $1 RETURNING seat', [
    orderId,
  ]);
  return rows.map((r) => r.seat).sort();
}

interface HoldingOrder {
  id: string;
  show_id: string;
  visitor: number;
  hold_id: string | null;
}

/**
 * Ends a holding order and tells the others: the legacy hold released (best effort: a hold it
 * keeps lapses by itself), then in one transaction our claim freed, the order moved, its visit
 * ended, and
 * `premiere.hold.released` / `premiere.hold.expired` (the bouncer lets the next visitor in) and
 * `premiere.seat.released` through the outbox. False if the order was no longer holding (another
 * replica or the buyer got there first).
 */
async function endHold(deps: Deps, order: HoldingOrder, to: 'cancelled' | 'expired', cause: string): Promise<boolean> {
  if (order.hold_id) {
    try {
      await deps.legacy.release(order.hold_id);
    } catch (err) {
      // Booked already: an approved payment is settling this order right now; it is not ours to end.
      if (err instanceof LegacyRefused && err.status === 409) {
        deps.log.info({ orderId: order.id }, 'hold booked by a payment meanwhile; the order is left to it');
        return false;
      }
      deps.log.warn(
        { orderId: order.id, err: (err as Error).message },
        'legacy hold not released; it lapses by itself',
      );
    }
  }
  try {
    await deps.transaction(async (tx) => {
      const seats = await release(tx, deps.log, order.id, to, cause);
      // The visit ends with its order: its zone slot is freed by the events below.
      await endVisit(tx, order.show_id, order.visitor, to === 'cancelled' ? 'given_up' : 'hold_expired');
      const data = { showId: order.show_id, visitor: order.visitor, orderId: order.id };
      await tx.emit((to === 'cancelled' ? holdReleased : holdExpired).event(data));
      await tx.emit(seatReleased.event({ showId: order.show_id, orderId: order.id, seats }));
      await refreshSeatAvailability(tx.query, deps.redis, tx.emit, order.show_id);
    });
    deps.visits?.forget(order.show_id, order.visitor);
    return true;
  } catch (err) {
    if (err instanceof IllegalTransition) return false;
    throw err;
  }
}

/** The buyer gives up: the seats are free again; 404 unless it is their order, 409 unless it still holds seats. */
export async function cancelOrder(deps: Deps, orderId: string, sessionHash: string): Promise<void> {
  const { rows } = await deps.db.query<HoldingOrder & { state: string; session_hash: string }>(
    'SELECT id, show_id, visitor, hold_id, state, session_hash FROM orders WHERE id = $1',
    [orderId],
  );
  const order = rows[0];
  if (!order || order.session_hash !== sessionHash) throw new OrderRefused(404, 'no_order', 'no such order');
  if (order.state !== 'pending_payment' || !(await endHold(deps, order, 'cancelled', 'the buyer gave up'))) {
    throw new OrderRefused(
      409,
      'order_closed',
      `the order is ${order.state.replace('_', ' ')}; it can be given up only before paying`,
    );
  }
}

/**
 * The expiry sweep: every order whose hold ran out is expired and its seats released, here and in
 * the legacy system. Run on a schedule and whenever a buyer touches an expired order; several
 * replicas at once expire each order once. Returns how many it expired.
 */
export async function expireHolds(deps: Deps, limit = 200): Promise<number> {
  const { rows } = await deps.db.query<HoldingOrder>(
    `SELECT id, show_id, visitor, hold_id FROM orders
      WHERE state IN ('pending_payment', 'awaiting_payment') AND hold_expires_at <= now()
      ORDER BY hold_expires_at LIMIT $1`,
    [limit],
  );
  let expired = 0;
  for (const order of rows) if (await endHold(deps, order, 'expired', 'the hold ran out')) expired++;
  return expired;
}

type Priced = Awaited<ReturnType<typeof price>>;

/** Prices an order from the catalog, in one query; 404 for an unknown show, 400 for unknown seats or extras. */
async function price(
  query: Transaction['query'],
  input: { showId: string; seats: SeatChoice[]; extras: ExtraChoice[] },
) {
  const { rows } = await query<{
    currency: string;
    price_full_cents: number;
    price_half_cents: number;
    known: string[];
    extras: { id: string; price_cents: number }[];
  }>(
    `SELECT s.currency, s.price_full_cents, s.price_half_cents,
            ARRAY(SELECT t.seat FROM render_catalog.seats t WHERE t.room_id = s.room_id AND t.seat = ANY($2)) AS known,
            (SELECT coalesce(json_agg(json_build_object('id', x.id, 'price_cents', x.price_cents)), '[]')
               FROM render_catalog.extras x WHERE x.cinema_id = r.cinema_id AND x.id = ANY($3)) AS extras
       FROM render_catalog.shows s JOIN render_catalog.rooms r ON r.id = s.room_id WHERE s.id = $1`,
    [input.showId, input.seats.map((s) => s.seat), input.extras.map((e) => e.extraId)],
  );
  const show = rows[0];
  if (!show) throw new OrderRefused(404, 'no_show', `no show "${input.showId}"`);
  const unknown = input.seats.map((s) => s.seat).filter((seat) => !show.known.includes(seat));
  if (unknown.length)
    throw new OrderRefused(400, 'no_such_seats', `no such seats in this room: ${unknown.join(', ')}`, unknown);
  const extras = show.extras;
  const unknownExtras = input.extras.filter((e) => !extras.some((x) => x.id === e.extraId)).map((e) => e.extraId);
  if (unknownExtras.length)
    throw new OrderRefused(400, 'no_such_extras', `this cinema has no extras ${unknownExtras.join(', ')}`);

  const seats = input.seats.map((s) => ({
    ...s,
    priceCents: s.ticketType === 'half' ? show.price_half_cents : show.price_full_cents,
  }));
  const pricedExtras = input.extras.map((e) => ({
    ...e,
    priceCents: extras.find((x) => x.id === e.extraId)!.price_cents * e.quantity,
  }));
  const totalCents = seats.reduce((t, s) => t + s.priceCents, 0) + pricedExtras.reduce((t, e) => t + e.priceCents, 0);
  return { currency: show.currency, totalCents, seats, extras: pricedExtras };
}

export interface OrderView {
  orderId: string;
  showId: string;
  state: string;
  holdExpiresAt: string;
  currency: string;
  totalCents: number;
  rejectionReason: string | null;
  /** The cinema's time zone, in which the page shows the hold's end. */
  timeZone: string;
  /** What the order is for, as every page names a show; and its movie (whose other shows an ended order points to). */
  show: ShowHeading;
  movieId: string;
  seats: (SeatChoice & { priceCents: number })[];
  extras: (ExtraChoice & { name: string; priceCents: number })[];
  /** Once confirmed: a ticket per seat, its code and its page. */
  tickets: { seat: string; code: string; url: string }[];
}

/** An order as its buyer sees it, with whose it is (its show and session hash); null if unknown. */
export async function readOrder(
  db: Deps['db'],
  orderId: string,
): Promise<(OrderView & { sessionHash: string }) | null> {
  const { rows } = await db.query(
    `SELECT o.*,
            (SELECT coalesce(json_agg(json_build_object('seat', seat, 'ticketType', ticket_type, 'priceCents', price_cents) ORDER BY seat), '[]') FROM order_seats WHERE order_id = o.id) AS seats,
            (SELECT coalesce(json_agg(json_build_object('extraId', x.extra_id, 'name', e.name, 'quantity', x.quantity, 'priceCents', x.price_cents) ORDER BY x.extra_id), '[]')
               FROM order_extras x JOIN render_catalog.extras e ON e.id = x.extra_id WHERE x.order_id = o.id) AS extras,
            (SELECT coalesce(json_agg(json_build_object('seat', seat, 'code', code, 'url', '/checkout/tickets/' || code) ORDER BY seat), '[]') FROM tickets WHERE order_id = o.id) AS tickets,
            c.time_zone, s.movie_id, m.title, c.name AS cinema_name, c.city, r.room_type, s.starts_at
       FROM orders o
       JOIN render_catalog.shows s ON s.id = o.show_id
       JOIN render_catalog.movies m ON m.id = s.movie_id
       JOIN render_catalog.rooms r ON r.id = s.room_id
       JOIN render_catalog.cinemas c ON c.id = r.cinema_id
      WHERE o.id = $1`,
    [orderId],
  );
  const o = rows[0];
  if (!o) return null;
  return {
    orderId: o.id,
    showId: o.show_id,
    state: o.state,
    holdExpiresAt: o.hold_expires_at.toISOString(),
    currency: o.currency,
    totalCents: o.total_cents,
    rejectionReason: o.rejection_reason,
    timeZone: o.time_zone,
    show: {
      showId: o.show_id,
      title: o.title,
      cinemaName: o.cinema_name,
      city: o.city,
      roomType: o.room_type,
      startsAt: o.starts_at.getTime(),
      timeZone: o.time_zone,
    },
    movieId: o.movie_id,
    seats: o.seats,
    extras: o.extras,
    tickets: o.tickets,
    sessionHash: o.session_hash,
  };
}
