import type pg from 'pg';
import { BoundedMap } from '@premiere/runtime';

/**
 * Visitor numbers are reserved in the durable token ledger (issue_token.token_ledger) a block at a
 * time, ahead of need: a join that leaves fewer than half a block below the room's ceiling has the
 * next block reserved without waiting for it, and only a join that finds none left waits
 * (`must_reserve`). One reservation per show is under way at a time in a process; joiners who wait
 * meanwhile share it. A block follows the demand: 64 numbers, twice the last one when that went
 * within a second (a burst: a PostgreSQL write every few hundred joins, not every few dozen), at most
 * 4,096. A room rebuilt after Redis forgot it counts what a block left unused as issued until its
 * grace is over (lib/recovery.lua).
 */
const BLOCK = { least: 64, most: 4_096, burstMs: 1_000 };

/**
 * The durable record of how many tokens each show may have issued: no token carries a visitor
 * number above the show's `reserved`.
 */
export class TokenLedger {
  private readonly underWay = new Map<string, { issued: number; joiners: number; ceiling: Promise<number> }>();
  private readonly last = new BoundedMap<string, { at: number; block: number }>(10_000);

  constructor(private readonly db: pg.Pool) {}

  /** Below this many numbers left under the ceiling, the next block is reserved ahead of need. */
  lowWater(showId: string): number {
    return Math.max(BLOCK.least, this.last.get(showId)?.block ?? 0) / 2;
  }

  /**
   * Reserves numbers above `issued` (what the room has issued) for this joiner and those asking
   * while it is under way; the new ceiling. `ahead`: only if none is under way already (a join that
   * needs none yet does not wait for one).
   */
  reserve(showId: string, issued: number, ahead = false): Promise<number> | null {
    let r = this.underWay.get(showId);
    if (r && ahead) return null;
    if (!r) {
      const batch = { issued, joiners: 0, ceiling: Promise.resolve(0) };
      // The next turn of the event loop: the joiners who found the ceiling reached at once, counted.
      batch.ceiling = new Promise<void>((go) => setImmediate(go))
        .then(() => this.write(showId, batch.issued, this.blockFor(showId, batch.joiners)))
        .finally(() => this.underWay.delete(showId));
      this.underWay.set(showId, (r = batch));
    }
    r.joiners++;
    r.issued = Math.max(r.issued, issued);
    return r.ceiling;
  }

  private blockFor(showId: string, joiners: number): number {
    const last = this.last.get(showId);
    const block = Math.max(
      2 * joiners,
      last && Date.now() - last.at < BLOCK.burstMs ? Math.min(BLOCK.most, 2 * last.block) : BLOCK.least,
    );
    this.last.set(showId, { at: Date.now(), block });
    return block;
  }

  private async write(showId: string, issued: number, block: number): Promise<number> {
    const { rows } = await this.db.query<{ reserved: number }>(
      `INSERT INTO issue_token.token_ledger (show_id, reserved) VALUES ($1, $2::int + $3::int)
         ON CONFLICT (show_id) DO UPDATE SET reserved = GREATEST(token_ledger.reserved, $2::int) + $3::int, updated_at = now()
         RETURNING reserved`,
      [showId, issued, block],
    );
    return rows[0].reserved;
  }
}

/** A token given back one by one (see issue_token.returned_tokens). */
export interface ReturnedToken {
  visitor: number;
  session: string;
  reason: 'left' | 'lapsed' | 'passed_over';
}

/**
 * Records tokens Redis gave back, so that a rebuilt room knows them as such (their holders are not
 * put back in line). Safe to repeat; `db` may be a transaction (the bouncer's, with its events). Best effort after the fact: one that fails to be written is
 * counted live by a rebuild until the grace ends, as if its holder had gone quiet.
 */
export async function recordReturned(
  db: Pick<pg.Pool | pg.PoolClient, 'query'>,
  showId: string,
  tokens: ReturnedToken[],
): Promise<void> {
  if (tokens.length === 0) return;
  await db.query(
    `INSERT INTO issue_token.returned_tokens (show_id, visitor, session_hash, reason)
       SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
    [showId, tokens.map((t) => t.visitor), tokens.map((t) => t.session), tokens.map((t) => t.reason)],
  );
}

/** The tokens of a show given back one by one. */
export async function returnedTokens(db: pg.Pool, showId: string): Promise<ReturnedToken[]> {
  const { rows } = await db.query<{ visitor: number; session_hash: string; reason: ReturnedToken['reason'] }>(
    'SELECT visitor, session_hash, reason FROM issue_token.returned_tokens WHERE show_id = $1',
    [showId],
  );
  return rows.map((r) => ({ visitor: r.visitor, session: r.session_hash, reason: r.reason }));
}

/** The highest visitor number the show may have issued, or null if it never issued any. */
export async function reservedNumbers(db: pg.Pool, showId: string): Promise<number | null> {
  const { rows } = await db.query<{ reserved: number }>(
    'SELECT reserved FROM issue_token.token_ledger WHERE show_id = $1',
    [showId],
  );
  return rows[0]?.reserved ?? null;
}

/**
 * The shows whose rooms may need rebuilding: every show that issued tokens and has not outlived
 * its room (it starts later than `since`).
 */
export async function showsWithTokens(db: pg.Pool, since: Date): Promise<string[]> {
  const { rows } = await db.query<{ show_id: string }>(
    `SELECT l.show_id FROM issue_token.token_ledger l JOIN render_catalog.shows s ON s.id = l.show_id WHERE s.starts_at > $1 ORDER BY l.show_id`,
    [since],
  );
  return rows.map((r) => r.show_id);
}
