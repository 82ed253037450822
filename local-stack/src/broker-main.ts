import { ConfigError, createLogger, loadConfig } from '@premiere/runtime';
import { LocalBroker } from './broker';
import { loadEventing } from './declarations';
import { brokerEnv } from './env';
import { BROKER_AUDIENCE, brokerIssuer } from './oidc';

/**
 * The local broker in a process of its own, as Knative's broker runs apart from the functions:
 * `npm start` launches it on a port fixed for the stack's life and starts it again if it dies, with
 * the same signing key, so its URL (the functions' K_SINK and JWKS URL) and its tokens stay valid.
 * What it had not delivered yet when it died is lost (see docs/operations.md).
 */
async function main() {
  const config = loadConfig(brokerEnv);
  const log = createLogger({ name: 'broker', level: config.LOG_LEVEL });
  // Parsed from JSON by its schema (env.ts), hence the cast.
  const functions = config.BROKER_FUNCTIONS as unknown as Record<string, string>;
  const eventing = loadEventing();
  const missing = [...eventing.subscriptions, ...eventing.schedules]
    .map((s) => s.function)
    .filter((f) => !functions[f]);
  if (missing.length > 0)
    throw new ConfigError('BROKER_FUNCTIONS', `BROKER_FUNCTIONS has no URL for ${[...new Set(missing)].join(', ')}`);
  const events = (fn: string) => `${functions[fn]}/events`;
  // Each subscriber's token is for its function's audience (its EVENT_AUTH_AUDIENCE default).
  const audienceOf = (fn: string) => `premiere/${fn}`;
  const broker = new LocalBroker({
    delivery: eventing.delivery,
    subscriptions: eventing.subscriptions.map((s) => ({
      name: s.name,
      url: events(s.function),
      filter: s.filter,
      audience: audienceOf(s.function),
    })),
    schedules: eventing.schedules.map((s) => ({
      name: s.name,
      url: events(s.function),
      schedule: s.schedule,
      data: s.data,
      audience: audienceOf(s.function),
    })),
    log,
    issuer: brokerIssuer(`http://127.0.0.1:${config.PORT}`, config.BROKER_SIGNING_KEY_FILE),
    ingressAudience: BROKER_AUDIENCE,
    // As the chart's Triggers: dead letters stored by admit-batch, for operators to replay.
    deadLetterSink: { url: `${functions['admit-batch']}/dead-letters`, audience: audienceOf('admit-batch') },
  });
  const url = await broker.listen(config.PORT);
  log.info({ url }, 'broker listening');

  // SIGTERM: no new events; deliveries still retrying are dropped (best-effort, as documented).
  const stop = () => {
    void broker.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(
    `premiere broker: ${err instanceof ConfigError ? 'configuration error: ' : ''}${(err as Error).message}\n`,
  );
  process.exit(1);
});
