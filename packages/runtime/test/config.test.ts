import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Joi from 'joi';
import { ConfigError, createRedis, loadConfig, runtimeEnv } from '@premiere/runtime';

const valid = {
  DATABASE_URL: 'postgres://u:p@db:5432/premiere',
  REDIS_URL: 'redis://cache:6379',
  K_SINK: 'http://broker/default',
};

describe('configuration from the environment', () => {
  it('applies defaults and converts types', () => {
    const config = loadConfig(runtimeEnv, valid);
    expect(config.PORT).toBe(8080);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.REDIS_KEY_PREFIX).toBe('premiere:');
    expect(loadConfig(runtimeEnv, { ...valid, PORT: '3000' }).PORT).toBe(3000);
  });

  it('names a missing variable and what it expects', () => {
    expect(() => loadConfig(runtimeEnv, { ...valid, DATABASE_URL: undefined })).toThrow(
      new ConfigError(
        'DATABASE_URL',
        'DATABASE_URL is required: a PostgreSQL URL, e.g. postgres://user:password@host:5432/premiere',
      ),
    );
  });

  it('takes no K_SINK (a first revision the SinkBinding has not reached), but not a malformed one', () => {
    expect(loadConfig(runtimeEnv, { ...valid, K_SINK: undefined }).K_SINK).toBeUndefined();
    expect(() => loadConfig(runtimeEnv, { ...valid, K_SINK: 'broker' })).toThrow(
      /^K_SINK must be the broker URL events are sent to/,
    );
  });

  it('names a malformed variable, what it expects and what it got', () => {
    expect(() => loadConfig(runtimeEnv, { ...valid, PORT: 'eighty' })).toThrow(
      'PORT must be a TCP port (1-65535; 0 picks a free one), got "eighty"',
    );
    expect(() => loadConfig(runtimeEnv, { ...valid, LOG_LEVEL: 'loud' })).toThrow(
      /^LOG_LEVEL must be one of fatal, error/,
    );
  });

  it('reads the SinkBinding’s K_CE_OVERRIDES as JSON', () => {
    expect(
      loadConfig(runtimeEnv, { ...valid, K_CE_OVERRIDES: '{"extensions":{"team":"premiere"}}' }).K_CE_OVERRIDES,
    ).toEqual({ extensions: { team: 'premiere' } });
    expect(() => loadConfig(runtimeEnv, { ...valid, K_CE_OVERRIDES: '{"extensions":{"Bad-Name":1}}' })).toThrow(
      /^K_CE_OVERRIDES must be JSON like/,
    );
  });

  it('never echoes a secret back', () => {
    let message = '';
    try {
      loadConfig(runtimeEnv, { ...valid, DATABASE_URL: 'mysql://admin:hunter2@db/x' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^DATABASE_URL must be a PostgreSQL URL/);
    expect(message).not.toContain('hunter2');
  });

  it('reads a function’s own variables with the same rules', () => {
    const spec = {
      HOLD_SECONDS: { schema: Joi.number().integer().min(1).default(120), expect: 'a positive number of seconds' },
    };
    expect(loadConfig(spec, {}).HOLD_SECONDS).toBe(120);
    expect(() => loadConfig(spec, { HOLD_SECONDS: '-5' })).toThrow(
      'HOLD_SECONDS must be a positive number of seconds, got "-5"',
    );
  });

  it('stops a function process with one line naming the variable', () => {
    const main = path.resolve(__dirname, '../../../functions/render-catalog/dist/main.js');
    const result = spawnSync(process.execPath, [main], {
      env: { PATH: process.env.PATH, ...valid, REDIS_URL: 'not a url' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual([
      'render-catalog: configuration error: REDIS_URL must be a Redis URL, e.g. redis://host:6379',
    ]);
  });
});

describe('Redis through Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_MASTER)', () => {
  const sentinels =
    'premiere-redis-ha-0.premiere-redis-ha.premiere.svc.cluster.local:26379, 10.0.0.7:26380,[fd00::7]:26379';

  it('reads the list of sentinels as host:port addresses, and the name of the primary', () => {
    const config = loadConfig(runtimeEnv, {
      ...valid,
      REDIS_SENTINELS: sentinels,
      REDIS_SENTINEL_MASTER: 'premiere',
      REDIS_SENTINEL_PASSWORD: 's3cret',
    });
    expect(config.REDIS_SENTINELS).toEqual([
      { host: 'premiere-redis-ha-0.premiere-redis-ha.premiere.svc.cluster.local', port: 26379 },
      { host: '10.0.0.7', port: 26380 },
      { host: 'fd00::7', port: 26379 },
    ]);
    expect(config.REDIS_SENTINEL_MASTER).toBe('premiere');
    expect(config.REDIS_SENTINEL_PASSWORD).toBe('s3cret');
    expect(loadConfig(runtimeEnv, valid).REDIS_SENTINELS).toBeUndefined();
  });

  it('refuses a malformed list of sentinels, naming what is expected', () => {
    for (const bad of [
      'sentinel-0',
      'sentinel-0:0',
      'sentinel-0:65536',
      'sentinel-0:port',
      'redis://sentinel-0:26379',
      'a:26379,,b:26379',
      'not a host:26379',
    ]) {
      expect(() =>
        loadConfig(runtimeEnv, { ...valid, REDIS_SENTINELS: bad, REDIS_SENTINEL_MASTER: 'premiere' }),
      ).toThrow(
        new ConfigError(
          'REDIS_SENTINELS',
          `REDIS_SENTINELS must be ${runtimeEnv.REDIS_SENTINELS.expect}, got ${JSON.stringify(bad)}`,
        ),
      );
    }
    expect(runtimeEnv.REDIS_SENTINELS.expect).toMatch(/^a comma-separated list of host:port/);
  });

  it('refuses a master name Sentinel would not accept', () => {
    expect(() =>
      loadConfig(runtimeEnv, { ...valid, REDIS_SENTINELS: sentinels, REDIS_SENTINEL_MASTER: 'my master' }),
    ).toThrow(/^REDIS_SENTINEL_MASTER must be the name/);
  });

  it('never echoes the sentinels’ password back', () => {
    expect(runtimeEnv.REDIS_SENTINEL_PASSWORD.secret).toBe(true);
  });

  it('wants both or neither: sentinels without the name of the primary, or a name without sentinels', () => {
    const config = (env: Record<string, string>) => loadConfig(runtimeEnv, { ...valid, ...env });
    const connect = (env: Record<string, string>) => {
      const c = config(env);
      createRedis({
        url: c.REDIS_URL,
        keyPrefix: 'x:',
        sentinels: c.REDIS_SENTINELS,
        sentinelMaster: c.REDIS_SENTINEL_MASTER,
        lazyConnect: true,
      });
    };
    expect(() => connect({ REDIS_SENTINELS: sentinels })).toThrow(
      new ConfigError(
        'REDIS_SENTINEL_MASTER',
        'REDIS_SENTINEL_MASTER is required with REDIS_SENTINELS: the name the sentinels monitor the primary under (sentinel monitor <name> …)',
      ),
    );
    expect(() => connect({ REDIS_SENTINEL_MASTER: 'premiere' })).toThrow(
      new ConfigError(
        'REDIS_SENTINELS',
        'REDIS_SENTINELS is required with REDIS_SENTINEL_MASTER: the sentinels to ask for the primary, e.g. redis-0.redis:26379,redis-1.redis:26379',
      ),
    );
  });

  it('stops a function process with one line when the name of the primary is missing', () => {
    const main = path.resolve(__dirname, '../../../functions/render-catalog/dist/main.js');
    // PORT 0 and a time limit: a process that does not refuse must not take a port or hang the test.
    const env = { PATH: process.env.PATH, ...valid, PORT: '0', REDIS_SENTINELS: 'sentinel-0:26379' };
    const result = spawnSync(process.execPath, [main], {
      env,
      encoding: 'utf8',
      timeout: 20_000,
      killSignal: 'SIGKILL',
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'render-catalog: configuration error: REDIS_SENTINEL_MASTER is required with REDIS_SENTINELS: the name the sentinels monitor the primary under (sentinel monitor <name> …)',
    ]);
  });
});
