import type pg from 'pg';

/**
 * Visitor numbers are reserved in the durable token ledger (issue_token.token_ledger) this many at
 * a time: one PostgreSQL write per block keeps joins at one Redis round trip, and a room rebuilt
 * after Redis forgot it counts at most a block per reserving process as issued that was not (given
 * back once its grace is over, lib/recovery.lua).
 */
export const LEDGER_BLOCK = 64;

/**
 * The durable record of how many tokens each show may have issued: no token carries a visitor
 * number above the show's `reserved`. Reservations of one process for one show are made one at a
 * time (the joiners who find the ceiling reached at once wait for the same one).
 */
export class TokenLedger {
  private readonly inFlight = new Map<string, Promise<number>>();

  constructor(private readonly db: pg.Pool) {}

  /** Reserves a block of numbers above `issued` (what the room has issued); the new ceiling. */
  reserve(showId: string, issued: number): Promise<number> {
    let pending = this.inFlight.get(showId);
    if (!pending) {
      pending = this.db
        .query<{ reserved: number }>(
          `INSERT INTO issue_token.token_ledger (show_id, reserved) VALUES ($1, $2::int + $3::int)
             ON CONFLICT (show_id) DO UPDATE SET reserved = GREATEST(token_ledger.reserved, $2::int) + $3::int, updated_at = now()
             RETURNING reserved`,
          [showId, issued, LEDGER_BLOCK],
        )
        .then((r) => r.rows[0].reserved)
        .finally(() => this.inFlight.delete(showId));
      this.inFlight.set(showId, pending);
    }
    return pending;
  }
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
