import Joi from 'joi';
import type { EnvSpec } from '@premiere/runtime';

const ms = (min: number, max: number) => Joi.number().integer().min(min).max(max);

/** process-payment's variables (see the README). */
export const processPaymentEnv = {
  PAYMENT_PROVIDER_URL: {
    schema: Joi.string()
      .uri({ scheme: ['http', 'https'] })
      .required(),
    expect: 'the payment provider’s base URL (http or https)',
  },
  PAYMENT_PROVIDER_API_KEY: {
    schema: Joi.string().min(8),
    expect: 'the provider’s API key, 8 or more characters (sent as a Bearer token)',
    secret: true,
  },
  PAYMENT_TIMEOUT_MS: {
    schema: ms(100, 120_000).default(5_000),
    expect: 'milliseconds before a call to the provider is abandoned and retried (100-120000)',
  },
  PAYMENT_GIVE_UP_SECONDS: {
    schema: Joi.number().integer().min(1).max(3_600).default(30),
    expect:
      'seconds of retrying an unavailable provider before the payment fails as "provider unavailable" (1-3600; sooner if the buyer’s hold would run out first)',
  },
  PAYMENT_STUCK_SECONDS: {
    schema: Joi.number().integer().min(10).max(86_400).default(120),
    expect:
      'seconds after which reconciliation settles a payment still unsettled by asking the provider (10-86400; longer than PAYMENT_GIVE_UP_SECONDS plus a call)',
  },
} satisfies EnvSpec;

export type ProcessPaymentEnv = typeof processPaymentEnv;
