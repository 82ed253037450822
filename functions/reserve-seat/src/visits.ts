import Boom from '@hapi/boom';
import type pg from 'pg';
import { visitorActive } from '@premiere/contracts';
import { BoundedMap, type Transaction } from '@premiere/runtime';
import type { TokenClaims } from '@premiere/contracts';
import type { AdmittedAs } from '@premiere/waiting-room';
import { OrderRefused } from './orders';

/**
 * Visits: one admission to the protected zone is one visit (migrations/003_visits.sql). It is
 * opened by the first entry, lasts ZONE_VISIT_SECONDS from then whatever happens (entering again
 * finds it, never renews it), and ends early when its order is confirmed, given up or runs out.
 * While it is open its visitor may look at the seat map and hold seats: one order at a time, and
 * at most the visit's seats over all its orders. A visit that is over lets nobody in again; the
 * buyer's orders stay theirs to see and pay (routes.ts authorises those by session).
 */
export type VisitEnd = 'order_confirmed' | 'given_up' | 'hold_expired' | 'time_up';

export interface Visit {
  showId: string;
  visitor: number;
  sessionHash: string;
  enteredAt: Date;
  endsAt: Date;
  endReason: VisitEnd | null;
}

const ENDED_BECAUSE: Record<VisitEnd, string> = {
  order_confirmed: 'your order is confirmed',
  given_up: 'you gave up your seats',
  hold_expired: 'your hold ran out',
  time_up: 'its time is up',
};

/** Why a visit cannot be used: 403 (never entered, or not this session's) or 410 (over). */
export class VisitRefused extends Error {
  constructor(
    readonly status: 403 | 410,
    message: string,
    readonly showId: string,
  ) {
    super(message);
    this.name = 'VisitRefused';
  }

  /** The answer, with where to go: the waiting room. */
  toBoom(): Boom.Boom {
    const boom = new Boom.Boom(this.message, { statusCode: this.status });
    // The reason, for the pages' scripts (which say it in the visitor's language).
    Object.assign(boom.output.payload, {
      reason: this.status === 410 ? 'visit_over' : 'not_admitted',
      waitingRoom: `/waiting-room/${this.showId}`,
    });
    return boom;
  }
}

/** A visitor whose place the waiting room took back (they left the line, or let their turn lapse): their token went back to the show. */
export function placeGivenUp(showId: string): VisitRefused {
  return new VisitRefused(
    410,
    `you gave up your place in the waiting room (you left the line, or your turn lapsed); to buy, join again: /waiting-room/${showId}`,
    showId,
  );
}

/**
 * The refusal for a visitor the waiting room no longer counts as admitted: their visit's own end
 * when it is over (a buyer whose order was confirmed is told that, not that they gave their place
 * up), else placeGivenUp.
 */
export async function placeGone(
  db: Pick<pg.Pool, 'query'>,
  showId: string,
  visitor: number,
  sessionHash: string,
): Promise<VisitRefused> {
  const { rows } = await db.query(
    'SELECT *, ends_at <= now() AS time_up FROM visits WHERE show_id = $1 AND visitor = $2',
    [showId, visitor],
  );
  return (
    (rows[0] && refusalOf(showId, visitOf(rows[0]), sessionHash, rows[0].time_up === true)) || placeGivenUp(showId)
  );
}

/** The refusal for using `visit` (null: never entered) with a token of session `sessionHash`; null if it may be used. */
function refusalOf(showId: string, visit: Visit | null, sessionHash: string, timeUp: boolean): VisitRefused | null {
  if (!visit)
    return new VisitRefused(
      403,
      `you have not entered seat selection: enter through /checkout/${showId} with the access token from the waiting room`,
      showId,
    );
  if (visit.sessionHash !== sessionHash) return new VisitRefused(403, 'this visit belongs to another session', showId);
  const ended = visit.endReason ?? (timeUp ? 'time_up' : null);
  if (ended)
    return new VisitRefused(
      410,
      `your visit is over (${ENDED_BECAUSE[ended]}); to buy more, join the waiting room again: /waiting-room/${showId}`,
      showId,
    );
  return null;
}

const visitOf = (row: Record<string, unknown> | undefined): Visit | null =>
  row
    ? {
        showId: row.show_id as string,
        visitor: row.visitor as number,
        sessionHash: row.session_hash as string,
        enteredAt: row.entered_at as Date,
        endsAt: row.ends_at as Date,
        endReason: (row.end_reason as VisitEnd | null) ?? null,
      }
    : null;

/**
 * How long a replica trusts what it read of an open visit for the seat map (the hot path: read by
 * every buyer every few seconds). A visit ended by another replica may still see the map that long;
 * holds are checked against the record itself, in their transaction. Ended visits are kept: they
 * never reopen.
 */
const VISIT_CACHE_MS = 2_000;
const VISITS_KEPT = 20_000;

export class Visits {
  private readonly kept = new BoundedMap<string, { visit: Visit; until: number }>(VISITS_KEPT);
  private readonly reading = new Map<string, Promise<Visit | null>>();

  constructor(
    private readonly deps: {
      db: pg.Pool;
      transaction: <T>(fn: (tx: Transaction) => Promise<T>) => Promise<T>;
      visitSeconds: number;
      /**
       * The waiting room's word on the visitor (false: they gave their place up; null: it does not
       * know them). With their access token's claims, a visitor Redis forgot is put back as admitted.
       */
      admissionHolds: (showId: string, visitor: number, admitted?: AdmittedAs) => Promise<boolean | null>;
    },
  ) {}

  /**
   * The visit of an admitted visitor who enters (with the waiting room's access token or their
   * zone pass): opened on the first entry, with `premiere.visitor.active` until its end so the
   * bouncer keeps their zone slot that long; the same visit, unchanged, on every later entry.
   * Throws VisitRefused if it is over or another session's.
   */
  async enter(showId: string, claims: TokenClaims): Promise<Visit> {
    const admitted =
      claims.typ === 'access'
        ? { session: claims.ses, place: claims.place, deadlineMs: claims.exp * 1000, joinedAtMs: claims.iat * 1000 }
        : undefined;
    if ((await this.deps.admissionHolds(showId, claims.vid, admitted)) === false) {
      // Their place went back to the waiting room; a visit of theirs that is over says why itself.
      const existing = await this.find(showId, claims.vid);
      throw (
        (existing && refusalOf(showId, existing, claims.ses, existing.endsAt.getTime() <= Date.now())) ||
        placeGivenUp(showId)
      );
    }
    const visit = (await this.open(showId, claims.vid, claims.ses)) ?? (await this.find(showId, claims.vid));
    const refused = refusalOf(showId, visit, claims.ses, visit !== null && visit.endsAt.getTime() <= Date.now());
    if (refused) throw refused;
    this.keep(visit!);
    return visit!;
  }

  /** Opens the visit if it is not open yet; the new visit, or null if there was one. */
  async open(showId: string, visitor: number, sessionHash: string): Promise<Visit | null> {
    return this.deps.transaction(async (tx) => {
      // In whole seconds: the zone pass's expiry is exactly the visit's end.
      const { rows } = await tx.query(
        `INSERT INTO visits (show_id, visitor, session_hash, entered_at, ends_at)
           VALUES ($1, $2, $3, date_trunc('second', now()), date_trunc('second', now()) + make_interval(secs => $4))
           ON CONFLICT (show_id, visitor) DO NOTHING RETURNING *`,
        [showId, visitor, sessionHash, this.deps.visitSeconds],
      );
      const visit = visitOf(rows[0]);
      if (visit) await tx.emit(visitorActive.event({ showId, visitor, until: visit.endsAt.toISOString() }));
      return visit;
    });
  }

  /** The seat map's check: the token's visit is open and its session's (cached briefly, see VISIT_CACHE_MS); throws VisitRefused. */
  async check(showId: string, claims: TokenClaims): Promise<void> {
    const key = `${showId}:${claims.vid}`;
    const kept = this.kept.get(key);
    const visit =
      kept && (kept.until > Date.now() || kept.visit.endReason) ? kept.visit : await this.read(key, showId, claims.vid);
    const refused = refusalOf(showId, visit, claims.ses, visit !== null && visit.endsAt.getTime() <= Date.now());
    if (refused) throw refused;
  }

  /** Forget what this replica read of a visit (it just ended it). */
  forget(showId: string, visitor: number): void {
    this.kept.delete(`${showId}:${visitor}`);
  }

  /** One read per visit at a time in this process; a visit never entered is not kept (it may be entered at any moment). */
  private read(key: string, showId: string, visitor: number): Promise<Visit | null> {
    let reading = this.reading.get(key);
    if (!reading) {
      reading = this.find(showId, visitor).then((visit) => {
        if (visit) this.keep(visit);
        return visit;
      });
      this.reading.set(key, reading);
      void reading.finally(() => this.reading.delete(key)).catch(() => undefined);
    }
    return reading;
  }

  /** The visit of a visitor, as recorded (null: never entered). */
  private async find(showId: string, visitor: number): Promise<Visit | null> {
    return visitOf(
      (await this.deps.db.query('SELECT * FROM visits WHERE show_id = $1 AND visitor = $2', [showId, visitor])).rows[0],
    );
  }

  private keep(visit: Visit): void {
    this.kept.set(`${visit.showId}:${visit.visitor}`, { visit, until: Date.now() + VISIT_CACHE_MS });
  }
}

/**
 * In a hold's transaction, before anything is written: the visit is locked (two holds of one visit
 * at once are checked one after the other), must be open and the session's, must have no order
 * holding seats, and may not go over `maxSeats` seats with `seats` more. Throws VisitRefused
 * (403 / 410) or OrderRefused (409, naming the open order) otherwise.
 */
export async function admitHold(
  tx: Transaction,
  input: {
    showId: string;
    visitor: number;
    sessionHash: string;
    seats: number;
    maxSeats: number;
    addressHash?: string;
    heldShareByAddress: number;
  },
): Promise<void> {
  const { rows } = await tx.query(
    'SELECT *, ends_at <= now() AS time_up FROM visits WHERE show_id = $1 AND visitor = $2 FOR UPDATE',
    [input.showId, input.visitor],
  );
  const refused = refusalOf(input.showId, visitOf(rows[0]), input.sessionHash, rows[0]?.time_up === true);
  if (refused) throw refused;
  // A statement of its own, after the lock: it sees an order another hold of this visit just committed.
  const { rows: orders } = await tx.query<{ id: string; state: string; seats: number }>(
    `SELECT o.id, o.state, (SELECT count(*) FROM order_seats s WHERE s.order_id = o.id)::int AS seats
       FROM orders o
      WHERE o.show_id = $1 AND o.visitor = $2 AND o.state IN ('pending_payment', 'awaiting_payment', 'confirmed')
      ORDER BY o.created_at`,
    [input.showId, input.visitor],
  );
  const open = orders.find((o) => o.state !== 'confirmed');
  if (open) {
    const url = `/checkout/api/orders/${open.id}`;
    throw new OrderRefused(
      409,
      'open_order',
      `you already hold seats in order ${open.id} (${url}): pay for it or give it up first`,
      [],
      { order: { orderId: open.id, state: open.state, url } },
    );
  }
  const used = orders.reduce((n, o) => n + o.seats, 0);
  if (used + input.seats > input.maxSeats) {
    throw new OrderRefused(
      409,
      'visit_seats',
      `a visit may have at most ${input.maxSeats} seats, and this one has ${used} already`,
    );
  }
  if (input.addressHash && input.heldShareByAddress > 0)
    await admitHeldByAddress(tx, { ...input, addressHash: input.addressHash });
}

/** How long a buyer refused for their address's held seats is asked to wait: holds are paid or run out within minutes. */
const HELD_BY_ADDRESS_RETRY_SECONDS = 30;

/**
 * One address holds at most a share of a show's seats unpaid at once (never less than one visit's
 * seats): several visits from one address, each within its own limits, cannot hold a show's seats
 * between them. Seats paid for do not count: buyers behind one carrier's address do not lock the
 * rest out. The address's holds are counted under a transaction lock of their own, so two holds
 * from it at once are counted one after the other.
 */
async function admitHeldByAddress(
  tx: Transaction,
  input: { showId: string; addressHash: string; seats: number; maxSeats: number; heldShareByAddress: number },
): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('held-by-address/' || $1 || '/' || $2, 0))", [
    input.showId,
    input.addressHash,
  ]);
  const { rows } = await tx.query<{ held: number; seats: number }>(
    `SELECT (SELECT count(*) FROM order_seats s JOIN orders o ON o.id = s.order_id
              WHERE o.show_id = $1 AND o.address_hash = $2 AND o.state IN ('pending_payment', 'awaiting_payment'))::int AS held,
            (SELECT count(*) FROM render_catalog.seats t JOIN render_catalog.shows sh ON sh.room_id = t.room_id WHERE sh.id = $1)::int AS seats`,
    [input.showId, input.addressHash],
  );
  const { held, seats } = rows[0];
  const cap = Math.max(input.maxSeats, Math.floor(input.heldShareByAddress * seats + 1e-9));
  if (held + input.seats > cap) {
    throw new OrderRefused(
      429,
      'network_share',
      `too many seats of this show are held unpaid from your network (${held} of at most ${cap}): try again when some are paid or given up`,
      [],
      {
        retryAfterSeconds: HELD_BY_ADDRESS_RETRY_SECONDS,
      },
    );
  }
}

/** Ends a visit (in the transaction that ends its order); a visit already over keeps its first end. */
export async function endVisit(
  tx: Pick<Transaction, 'query'>,
  showId: string,
  visitor: number,
  reason: Exclude<VisitEnd, 'time_up'>,
): Promise<void> {
  await tx.query(
    'UPDATE visits SET ended_at = now(), end_reason = $3 WHERE show_id = $1 AND visitor = $2 AND ended_at IS NULL',
    [showId, visitor, reason],
  );
}

/**
 * The expiry sweep's part: visits whose time is up and that hold nothing are recorded as ended
 * (`time_up`, at their end). One holding seats stays open until its order ends; one a hold is
 * being made for right now (locked) is left to the next sweep. Returns how many it closed.
 */
export async function closeVisitsTimedOut(
  transaction: <T>(fn: (tx: Transaction) => Promise<T>) => Promise<T>,
  limit = 500,
): Promise<number> {
  return transaction(async (tx) => {
    const { rows } = await tx.query<{ show_id: string; visitor: number }>(
      'SELECT show_id, visitor FROM visits WHERE ended_at IS NULL AND ends_at <= now() ORDER BY ends_at LIMIT $1 FOR UPDATE SKIP LOCKED',
      [limit],
    );
    if (rows.length === 0) return 0;
    // After the lock, in a statement of its own: it sees every order committed before it.
    const { rowCount } = await tx.query(
      `UPDATE visits v SET ended_at = v.ends_at, end_reason = 'time_up'
         FROM unnest($1::text[], $2::int[]) AS t (show_id, visitor)
        WHERE v.show_id = t.show_id AND v.visitor = t.visitor
          AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.show_id = v.show_id AND o.visitor = v.visitor AND o.state IN ('pending_payment', 'awaiting_payment'))`,
      [rows.map((r) => r.show_id), rows.map((r) => r.visitor)],
    );
    return rowCount ?? 0;
  });
}
