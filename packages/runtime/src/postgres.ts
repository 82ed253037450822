import pg from 'pg';

export type Queryable = Pick<pg.PoolClient, 'query'>;

/** A function's PostgreSQL schema: its name with "-" as "_" (render-catalog → render_catalog). */
export function schemaOf(functionName: string): string {
  return functionName.replace(/-/g, '_');
}

/**
 * pg's Client, whose failures to connect say they were PostgreSQL's: a refused or timed-out
 * connection names no service, and a request that met one is answered as an outage (unavailable.ts).
 */
class Client extends pg.Client {
  override connect(): Promise<pg.Client>;
  override connect(callback: (err: Error | null, client?: pg.Client) => void): void;
  override connect(callback?: (err: Error | null, client?: pg.Client) => void): Promise<pg.Client> | void {
    const mark = (err: Error) => Object.assign(err, { backingService: 'PostgreSQL' });
    if (!callback) return super.connect().catch((err: Error) => Promise.reject(mark(err)));
    super.connect((err: Error | null) => callback(err && mark(err), this));
  }
}

/**
 * A pool whose connections resolve unqualified names in the function's own schema first, so a
 * function's SQL names its own tables plainly and another function's only when qualified.
 */
export function createPool(options: {
  url: string;
  schema: string;
  max?: number;
  onConnectionLost?: (err: Error) => void;
}): pg.Pool {
  const pool = new pg.Pool({
    Client,
    connectionString: options.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
    options: `-c search_path=${options.schema},public`,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  // Nor one lent out (mid-transaction, or between two queries while it waits on Redis or a third
  // party): the pool stops listening to a client while it is lent, and a server that goes away
  // then ("terminating connection due to unexpected postmaster exit") would be an unhandled
  // 'error' event, which ends the process. Its borrower's next query fails instead; the pool
  // drops the broken client when it comes back.
  pool.on('connect', (client) => client.on('error', (err) => options.onConnectionLost?.(err)));
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
