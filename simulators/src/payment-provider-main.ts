import Joi from 'joi';
import { ConfigError, createLogger, loadConfig, runtimeEnv } from '@premiere/runtime';
import { latencyRange, parseRange } from './common';
import { createPaymentProvider } from './payment-provider';

export const paymentProviderEnv = {
  PORT: runtimeEnv.PORT,
  PAYMENT_LATENCY_MS: { schema: latencyRange.default('50-300'), expect: 'a latency in ms, fixed ("100") or a range ("50-300")' },
  PAYMENT_HANG_MS: { schema: Joi.number().integer().min(0).default(30_000), expect: 'milliseconds tok_timeout keeps the caller waiting' },
  PAYMENT_PROVIDER_API_KEY: { schema: Joi.string().min(8), expect: 'an API key of 8 or more characters (unset: no key needed)', secret: true },
};

async function main() {
  const config = loadConfig(paymentProviderEnv);
  const log = createLogger({ name: 'payment-provider' });
  const server = createPaymentProvider({
    port: config.PORT,
    latencyMs: parseRange(config.PAYMENT_LATENCY_MS),
    hangMs: config.PAYMENT_HANG_MS,
    apiKey: config.PAYMENT_PROVIDER_API_KEY,
  });
  await server.start();
  log.info({ port: server.info.port }, 'payment provider simulator listening');
  const stop = async () => {
    await server.stop({ timeout: 1_000 });
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`payment-provider: ${err instanceof ConfigError ? 'configuration error: ' : ''}${(err as Error).message}\n`);
  process.exit(1);
});
