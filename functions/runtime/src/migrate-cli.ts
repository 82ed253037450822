import { loadConfig, ConfigError, runtimeEnv } from './config';
import { migrate } from './migrate';

// `npm run migrate`: applies every function's migrations to DATABASE_URL.
async function main() {
  let url: string;
  try {
    url = loadConfig({ DATABASE_URL: runtimeEnv.DATABASE_URL }).DATABASE_URL;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`migrate: configuration error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const applied = await migrate(url, { log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(applied.length ? `migrate: ${applied.length} migration(s) applied\n` : 'migrate: already up to date\n');
}

main().catch((err) => {
  process.stderr.write(`migrate: ${(err as Error).message}\n`);
  process.exit(1);
});
