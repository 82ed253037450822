import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface AppSecrets {
  TOKEN_SIGNING_KEYS: string;
  ADMIN_TOKEN: string;
  /** The key process-payment sends and the payment provider simulator expects. */
  PAYMENT_PROVIDER_API_KEY: string;
}

/**
 * The application secrets of the local stack, as the chart's Secret holds them on a cluster: the
 * environment's if set, else made once and kept in `<state dir>/secrets.json` (mode 600), so tokens
 * and the admin token survive a restart of the stack.
 */
export function localSecrets(stateDir: string, env: NodeJS.ProcessEnv = process.env): AppSecrets & { file: string } {
  const file = path.join(stateDir, 'secrets.json');
  let kept: Partial<AppSecrets> = {};
  try {
    kept = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    /* first start */
  }
  const secrets: AppSecrets = {
    TOKEN_SIGNING_KEYS:
      env.TOKEN_SIGNING_KEYS ||
      kept.TOKEN_SIGNING_KEYS ||
      JSON.stringify({ local: randomBytes(32).toString('base64url') }),
    ADMIN_TOKEN: env.ADMIN_TOKEN || kept.ADMIN_TOKEN || randomBytes(24).toString('base64url'),
    PAYMENT_PROVIDER_API_KEY:
      env.PAYMENT_PROVIDER_API_KEY ||
      kept.PAYMENT_PROVIDER_API_KEY ||
      `sk_local_${randomBytes(18).toString('base64url')}`,
  };
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return { ...secrets, file };
}
