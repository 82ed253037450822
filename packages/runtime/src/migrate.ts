import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Joi from 'joi';
import pg from 'pg';
import { runtimeEnv } from './config';
import { schemaOf } from './postgres';

/** What `npm run migrate` (and the chart's migration job) reads. */
export const migrateEnv = {
  DATABASE_URL: runtimeEnv.DATABASE_URL,
  MIGRATE_WAIT_SECONDS: {
    schema: Joi.number().integer().min(0).max(3600).default(120),
    expect: 'seconds to wait for the database to accept connections (0-3600)',
  },
};

/**
 * Every function lives in functions/<name> at the workspace's root (in an image too: /app), the
 * runtime in packages/runtime (this file: packages/runtime/dist/migrate.js).
 */
export const FUNCTIONS_DIR = path.resolve(__dirname, '../../../functions');
const RUNTIME_MIGRATIONS = path.resolve(__dirname, '../migrations');
const MIGRATION_FILE = /^(\d{3,})_[a-z0-9_]+\.sql$/;
// Any constant: the key under which concurrent `npm run migrate`s take turns.
const MIGRATE_LOCK = 727_411;

interface Migration {
  schema: string;
  id: string; // e.g. "runtime/001_outbox_inbox.sql"
  sql: string;
  checksum: string;
}

function readMigrations(dir: string, label: string, schema: string): Migration[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => {
      if (!MIGRATION_FILE.test(f))
        throw new Error(`${path.join(dir, f)}: migration files are named NNN_snake_case.sql`);
      const sql = readFileSync(path.join(dir, f), 'utf8');
      return { schema, id: `${label}/${f}`, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** The functions found in `functionsDir` (every folder with a package.json). */
export function listFunctions(functionsDir = FUNCTIONS_DIR): string[] {
  return readdirSync(functionsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(functionsDir, d.name, 'package.json')))
    .map((d) => d.name)
    .sort();
}

/**
 * Every migration to apply, per function schema: first the runtime's (outbox and inbox, the same
 * in every schema), then the function's own `migrations/NNN_*.sql`.
 */
export function planMigrations(functionsDir = FUNCTIONS_DIR): Migration[] {
  return listFunctions(functionsDir).flatMap((fn) => {
    const schema = schemaOf(fn);
    return [
      ...readMigrations(RUNTIME_MIGRATIONS, 'runtime', schema),
      ...readMigrations(path.join(functionsDir, fn, 'migrations'), fn, schema),
    ];
  });
}

/**
 * Applies what is not applied yet, each migration in its own transaction with the search_path set
 * to its function's schema. Idempotent; concurrent runs wait for each other (advisory lock). A
 * migration that was edited after it was applied stops the run (its checksum changed).
 */
export async function migrate(
  databaseUrl: string,
  options: { functionsDir?: string; log?: (line: string) => void } = {},
): Promise<string[]> {
  const log = options.log ?? (() => undefined);
  const plan = planMigrations(options.functionsDir);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS public.premiere_migrations (
      schema_name text NOT NULL, migration text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (schema_name, migration))`);
    const { rows } = await client.query<{ schema_name: string; migration: string; checksum: string }>(
      'SELECT schema_name, migration, checksum FROM public.premiere_migrations',
    );
    const done = new Map(rows.map((r) => [`${r.schema_name} ${r.migration}`, r.checksum]));
    for (const m of plan) {
      const previous = done.get(`${m.schema} ${m.id}`);
      if (previous === m.checksum) continue;
      if (previous)
        throw new Error(`${m.id} was changed after it was applied to schema ${m.schema}; add a new migration instead`);
      await client.query('BEGIN');
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${m.schema}`);
        await client.query(`SET LOCAL search_path TO ${m.schema}, public`);
        await client.query(m.sql);
        await client.query(
          'INSERT INTO public.premiere_migrations (schema_name, migration, checksum) VALUES ($1, $2, $3)',
          [m.schema, m.id, m.checksum],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.id} (schema ${m.schema}) failed: ${(err as Error).message}`);
      }
      applied.push(`${m.schema}: ${m.id}`);
      log(`applied ${m.id} to schema ${m.schema}`);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK]).catch(() => undefined);
    await client.end();
  }
  return applied;
}
