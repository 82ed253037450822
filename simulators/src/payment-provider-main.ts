import { loadConfig } from '@premiere/runtime';
import { parseRange, runSimulator } from './common';
import { paymentProviderEnv } from './env';
import { createPaymentProvider } from './payment-provider';

runSimulator('payment-provider', () => {
  const config = loadConfig(paymentProviderEnv);
  const server = createPaymentProvider({
    port: config.PORT,
    host: config.HOST,
    latencyMs: parseRange(config.PAYMENT_LATENCY_MS),
    hangMs: config.PAYMENT_HANG_MS,
    apiKey: config.PAYMENT_PROVIDER_API_KEY,
  });
  return { server, logLevel: config.LOG_LEVEL };
});
