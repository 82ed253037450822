import { ConfigError, loadConfig } from './config';
import { migrate, migrateEnv } from './migrate';

// `npm run migrate` (and the chart's migration Job): applies every function's migrations to
// DATABASE_URL, waiting for the database to accept connections first.

// Errors that mean "not up yet": refused, unknown host (DNS not ready), starting up, too many clients.
const TRANSIENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', '57P03', '53300']);

async function main() {
  let config: { DATABASE_URL: string; MIGRATE_WAIT_SECONDS: number };
  try {
    config = loadConfig(migrateEnv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`migrate: configuration error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const deadline = Date.now() + config.MIGRATE_WAIT_SECONDS * 1000;
  for (;;) {
    try {
      const applied = await migrate(config.DATABASE_URL, { log: (line) => process.stdout.write(`${line}\n`) });
      process.stdout.write(
        applied.length ? `migrate: ${applied.length} migration(s) applied\n` : 'migrate: already up to date\n',
      );
      return;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!TRANSIENT.has(code) || Date.now() > deadline) throw err;
      process.stdout.write(`migrate: waiting for the database (${code})\n`);
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}

main().catch((err) => {
  process.stderr.write(`migrate: ${(err as Error).message}\n`);
  process.exit(1);
});
