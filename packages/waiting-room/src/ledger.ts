import type pg from 'pg';

/**
 * Visitor numbers are reserved in the durable token ledger (issue_token.token_ledger) a block at a
 * time, ahead of need: a join that leaves fewer than LOW_WATER numbers below the room's ceiling
 * reserves the next block without waiting for it, and only a join that finds none left waits
 * (`must_reserve`). Joiners who wait in the same moment share one reservation sized for all of them.
 * A room rebuilt after Redis forgot it counts what a block left unused as issued until its grace
 * is over (lib/recovery.lua), so blocks stay small.
 */
export const LOW_WATER = 32;
const BLOCK = 64;

/**
 * The durable record of how many tokens each show may have issued: no token carries a visitor
 * number above the show's `reserved`.
 */
export class TokenLedger {
  private readonly waiting = new Map<string, { issued: number; joiners: number; ceiling: Promise<number> }>();

  constructor(private readonly db: pg.Pool) {}

  /**
   * Reserves numbers above `issued` (what the room has issued) for this joiner and those asking in
   * the same moment; the new ceiling.
   */
  reserve(showId: string, issued: number): Promise<number> {
    let batch = this.waiting.get(showId);
    if (!batch) {
      const b = { issued, joiners: 0, ceiling: Promise.resolve(0) };
      b.ceiling = new Promise<void>((r) => setImmediate(r)).then(() => {
        this.waiting.delete(showId);
        return this.write(showId, b.issued, Math.max(BLOCK, 2 * b.joiners));
      });
      this.waiting.set(showId, (batch = b));
    }
    batch.joiners++;
    batch.issued = Math.max(batch.issued, issued);
    return batch.ceiling;
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
export async function recordReturned(db: Pick<pg.Pool | pg.PoolClient, 'query'>, showId: string, tokens: ReturnedToken[]): Promise<void> {
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
  const { rows } = await db.query<{ reserved: number }>('SELECT reserved FROM issue_token.token_ledger WHERE show_id = $1', [showId]);
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
