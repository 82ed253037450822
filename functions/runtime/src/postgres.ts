import pg from 'pg';

export type Queryable = Pick<pg.PoolClient, 'query'>;

/** A function's PostgreSQL schema: its name with "-" as "_" (render-catalog → render_catalog). */
export function schemaOf(functionName: string): string {
  return functionName.replace(/-/g, '_');
}

/**
 * A pool whose connections resolve unqualified names in the function's own schema first, so a
 * function's SQL names its own tables plainly and another function's only when qualified.
 */
export function createPool(options: { url: string; schema: string; max?: number }): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
    options: `-c search_path=${options.schema},public`,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `fn` inside BEGIN/COMMIT on one client; rolls back and rethrows on error. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
