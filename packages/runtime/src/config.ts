import Joi from 'joi';

/** One environment variable: how to validate it and what to tell the operator when it is wrong. */
export interface EnvVar {
  schema: Joi.Schema;
  /** What is expected, in words, e.g. "a TCP port (1-65535)". */
  expect: string;
  /** Never echo the value back (passwords, keys, URLs with credentials). */
  secret?: boolean;
}

export type EnvSpec = Record<string, EnvVar>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

const url = (schemes: string[]) => Joi.string().uri({ scheme: schemes });

export interface SentinelAddress {
  host: string;
  port: number;
}

/** One Sentinel's `host:port` (`[v6]:port`); throws when it is not one. */
function sentinelAddress(text: string): SentinelAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || !(port >= 1 && port <= 65535)) throw new Error(`not host:port: ${text}`);
  return { host: m[1] ?? m[2], port };
}

/** Variables every function reads. Knative injects PORT, and K_SINK through the SinkBinding. */
export const runtimeEnv = {
  PORT: {
    schema: Joi.number().integer().min(0).max(65535).default(8080),
    expect: 'a TCP port (1-65535; 0 picks a free one)',
  },
  HOST: {
    schema: Joi.string().hostname().default('0.0.0.0'),
    expect:
      'the address to listen on: 0.0.0.0 in a container; npm start uses 127.0.0.1, so that only its edge is reachable from other machines',
  },
  DATABASE_URL: {
    schema: url(['postgres', 'postgresql']).required(),
    expect: 'a PostgreSQL URL, e.g. postgres://user:password@host:5432/premiere',
    secret: true,
  },
  REDIS_URL: {
    schema: url(['redis', 'rediss']).required(),
    expect: 'a Redis URL, e.g. redis://host:6379',
    secret: true,
  },
  // Redis behind Sentinel (the chart's redis.replication): the functions ask the sentinels which
  // node is the primary and follow it through a failover. REDIS_URL then gives the credentials, the
  // TLS (rediss) and the database; its host is not used.
  REDIS_SENTINELS: {
    // Typed as what it parses to (an environment variable is always a string).
    schema: Joi.any<SentinelAddress[]>().custom((text: string) =>
      text.split(',').map((entry) => sentinelAddress(entry.trim())),
    ),
    expect:
      'a comma-separated list of host:port of Redis Sentinels, e.g. redis-0.redis:26379,redis-1.redis:26379 (an IPv6 address in brackets)',
  },
  REDIS_SENTINEL_MASTER: {
    schema: Joi.string().pattern(/^[A-Za-z0-9._-]{1,64}$/),
    expect:
      'the name the sentinels monitor the primary under (sentinel monitor <name> …): letters, digits, ".", "_" or "-"',
  },
  REDIS_SENTINEL_PASSWORD: {
    schema: Joi.string().max(512),
    expect: 'the password of the sentinels themselves (their requirepass; unset: none)',
    secret: true,
  },
  REDIS_KEY_PREFIX: {
    schema: Joi.string()
      .pattern(/^[A-Za-z0-9:_-]*$/)
      .max(64)
      .default('premiere:'),
    expect: 'a key prefix of letters, digits, ":", "_" or "-"',
  },
  // Unset on a function's first revision on a cluster: the SinkBinding injects it only once the
  // Broker has an address, as a new revision. Until then events wait in the outbox (server.ts).
  K_SINK: {
    schema: url(['http', 'https']),
    expect:
      'the broker URL events are sent to (http or https); unset: events wait in the outbox until a process with K_SINK publishes them',
  },
  K_CE_OVERRIDES: {
    schema: Joi.string().custom((text: string) => {
      const overrides = Joi.object({
        extensions: Joi.object()
          .pattern(/^[a-z0-9]{1,20}$/, Joi.alternatives(Joi.string(), Joi.number(), Joi.boolean()))
          .required(),
      });
      return Joi.attempt(JSON.parse(text), overrides) as { extensions: Record<string, string | number | boolean> };
    }),
    expect:
      'JSON like {"extensions":{"name":"value"}}: attributes added to every event sent (what a SinkBinding injects)',
  },
  // Sender identity (Knative Eventing's authentication-oidc): see cloudevents/sender-identity.ts.
  EVENT_AUTH: {
    schema: Joi.string().valid('oidc', 'none').default('oidc'),
    expect:
      'oidc (POST /events needs the broker’s token) or none (only for a cluster without Knative’s sender identity)',
  },
  EVENT_AUTH_AUDIENCE: {
    schema: Joi.string().pattern(/^[\x21-\x7e]{1,512}$/),
    expect:
      'the audience an event’s token must be for (default premiere/<function>; the chart sets its Triggers’ audience)',
  },
  EVENT_AUTH_ISSUER: {
    schema: Joi.string()
      .pattern(/^[\x21-\x7e]{1,512}$/)
      .default('https://kubernetes.default.svc.cluster.local'),
    expect:
      'the issuer of event tokens: the cluster’s service-account issuer (kubectl get --raw /.well-known/openid-configuration)',
  },
  EVENT_AUTH_SUBJECT_PREFIX: {
    schema: Joi.string()
      .pattern(/^[\x21-\x7e]{0,512}$/)
      .default(''),
    expect:
      'what the sender’s identity (the token’s subject) must start with, e.g. system:serviceaccount:<namespace>: (empty: any)',
  },
  EVENT_AUTH_JWKS_URL: {
    schema: url(['http', 'https']).default('https://kubernetes.default.svc/openid/v1/jwks'),
    expect: 'the URL of the issuer’s public keys (JWKS), http or https',
  },
  EVENT_AUTH_JWKS: {
    schema: Joi.string().custom((text: string) =>
      Joi.attempt(
        JSON.parse(text),
        Joi.object({
          keys: Joi.array()
            .items(Joi.object({ kty: Joi.string().required() }).unknown())
            .min(1)
            .required(),
        }).unknown(),
      ),
    ),
    expect: 'the issuer’s public keys as a JWKS in JSON, {"keys":[…]} (instead of fetching EVENT_AUTH_JWKS_URL)',
  },
  EVENT_SINK_TOKEN_FILE: {
    schema: Joi.string().default('/oidc/token'),
    expect: 'the file holding the token sent to the broker with every event (where Knative’s SinkBinding mounts it)',
  },
  // Every cookie a function sets (the session, the language, the checkout's zone pass) follows it: sessions.ts.
  SESSION_COOKIE_SECURE: {
    schema: Joi.string<'auto' | 'true' | 'false'>().valid('auto', 'true', 'false').default('auto'),
    expect: 'auto (cookies are Secure when the edge says the request came over https), true (always) or false (never)',
  },
  LOG_LEVEL: {
    schema: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info'),
    expect: 'one of fatal, error, warn, info, debug, trace, silent',
  },
  PG_POOL_MAX: { schema: Joi.number().integer().min(1).max(100).default(10), expect: 'an integer from 1 to 100' },
  SHUTDOWN_DRAIN_MS: {
    schema: Joi.number().integer().min(0).max(300_000).default(3_000),
    expect:
      'milliseconds at most a function keeps serving after SIGTERM, its readiness failing, before it stops taking connections; sooner once no request has come for half a second (0-300000)',
  },
  SHUTDOWN_TIMEOUT_MS: {
    schema: Joi.number().integer().min(0).max(300_000).default(10_000),
    expect: 'milliseconds to let in-flight requests finish once a function stops taking connections (0-300000)',
  },
  OUTBOX_RELAY_INTERVAL_MS: {
    schema: Joi.number().integer().min(100).max(600_000).default(5_000),
    expect: 'milliseconds between outbox relay passes while the process runs (100-600000)',
  },
  EVENT_RETENTION_HOURS: {
    schema: Joi.number()
      .integer()
      .min(1)
      .max(24 * 90)
      .default(72),
    expect: 'hours to remember handled and published events (1-2160)',
  },
} satisfies EnvSpec;

type Infer<S extends EnvSpec> = { [K in keyof S]: S[K]['schema'] extends Joi.Schema<infer T> ? T : unknown };
export type RuntimeConfig = Infer<typeof runtimeEnv>;
export type ConfigOf<S extends EnvSpec> = Infer<S>;

/**
 * Reads and validates the variables of `spec` from `env`. Throws a ConfigError whose message is one
 * line naming the first wrong variable and what is expected.
 */
export function loadConfig<S extends EnvSpec>(spec: S, env: NodeJS.ProcessEnv = process.env): Infer<S> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(spec)) {
    const raw = env[name] === '' ? undefined : env[name];
    const { value, error } = v.schema.validate(raw, { convert: true });
    if (error) {
      if (raw === undefined) throw new ConfigError(name, `${name} is required: ${v.expect}`);
      const got = v.secret ? '' : `, got ${JSON.stringify(raw)}`;
      throw new ConfigError(name, `${name} must be ${v.expect}${got}`);
    }
    out[name] = value;
  }
  return out as Infer<S>;
}
