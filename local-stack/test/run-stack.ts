import { spawnStack, type StackRun } from '../src/spawn';

export { whenUp } from '../src/spawn';

/**
 * `npm start` as a user runs it: embedded PostgreSQL, a redis-server from PATH, its state in
 * `stateDir`; `settings` on top (a function's variables, as a user would set them).
 */
export function startStack(stateDir: string, port: number, settings: Record<string, string> = {}): StackRun {
  const env: NodeJS.ProcessEnv = { ...process.env, ...settings };
  delete env.DATABASE_URL; // the defaults: an embedded PostgreSQL and a redis-server from PATH
  delete env.REDIS_URL;
  return spawnStack(stateDir, port, env);
}
