export { catalogSeats, createLegacyCinema, type LegacyCinemaOptions } from './legacy-cinema';
export { createPaymentProvider, TEST_TOKENS, type PaymentProviderOptions } from './payment-provider';
export { legacyCinemaEnv, paymentProviderEnv } from './env';
