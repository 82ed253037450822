import { ConfigError, createLogger, loadConfig } from '@premiere/runtime';
import { parseRange } from './common';
import { paymentProviderEnv } from './env';
import { createPaymentProvider } from './payment-provider';

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
