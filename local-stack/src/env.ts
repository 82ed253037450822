import Joi from 'joi';
import { runtimeEnv } from '@premiere/runtime';

/** What `npm start` reads (see the README's table); the simulators' variables pass through. */
export const stackEnv = {
  PREMIERE_PORT: {
    schema: Joi.number().integer().min(1).max(65535).default(8080),
    expect: 'the TCP port of the edge (1-65535)',
  },
  DATABASE_URL: {
    ...runtimeEnv.DATABASE_URL,
    schema: runtimeEnv.DATABASE_URL.schema.optional(),
    expect: `${runtimeEnv.DATABASE_URL.expect} (unset: an embedded PostgreSQL)`,
  },
  REDIS_URL: {
    ...runtimeEnv.REDIS_URL,
    schema: runtimeEnv.REDIS_URL.schema.optional(),
    expect: `${runtimeEnv.REDIS_URL.expect} (unset: redis-server from PATH)`,
  },
  PREMIERE_STATE_DIR: { schema: Joi.string().default('.premiere'), expect: 'the folder stack.json is written to' },
  LOG_LEVEL: runtimeEnv.LOG_LEVEL,
  DEMO_SALES_OPEN_SECONDS: {
    schema: Joi.number().integer().min(0).max(86_400).default(600),
    expect:
      'seconds after start-up that the demo premiere’s IMAX shows open sales (0-86400); until then visitors wait in the pre-queue',
  },
};

/** What the local edge's process reads; `npm start` sets them (see the README's table). */
export const edgeEnv = {
  PORT: { ...runtimeEnv.PORT, expect: 'the TCP port of the edge (1-65535; 0 picks a free one)' },
  EDGE_FUNCTIONS: {
    schema: Joi.string()
      .custom(
        (text: string) =>
          Joi.attempt(
            JSON.parse(text),
            Joi.object()
              .pattern(/^[a-z0-9-]+$/, Joi.string().uri({ scheme: ['http'] }))
              .required(),
          ) as Record<string, string>,
      )
      .required(),
    expect: 'JSON like {"issue-token":"http://127.0.0.1:4001"}: each function’s base URL',
  },
  // The chart's edge.forwardedProto: behind a TLS proxy of one's own (the functions set Secure cookies over https).
  EDGE_FORWARDED_PROTO: {
    schema: Joi.string<'' | 'http' | 'https'>().valid('http', 'https').empty('').default(''),
    expect:
      'http or https: the scheme the functions are told every visitor used (X-Forwarded-Proto); unset: http, the edge’s own',
  },
  LOG_LEVEL: runtimeEnv.LOG_LEVEL,
};

/** What the local broker's process reads; `npm start` sets them (see the README's table). */
export const brokerEnv = {
  // Fixed (not 0): the broker's URL is its issuer's, and must stay the same when it is started again.
  PORT: {
    schema: Joi.number().integer().min(1).max(65535).required(),
    expect: 'the TCP port of the broker on 127.0.0.1 (1-65535)',
  },
  BROKER_FUNCTIONS: {
    ...edgeEnv.EDGE_FUNCTIONS,
    expect:
      'JSON like {"admit-batch":"http://127.0.0.1:4002"}: each function’s base URL, where its events are delivered (<url>/events)',
  },
  BROKER_SIGNING_KEY_FILE: {
    schema: Joi.string().required(),
    expect: 'a file holding the broker’s P-256 private key (PKCS#8 PEM), which signs its deliveries and tokens',
  },
  LOG_LEVEL: runtimeEnv.LOG_LEVEL,
};
