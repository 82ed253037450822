import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Joi from 'joi';
import { ConfigError, loadConfig, runtimeEnv } from '@premiere/runtime';

const valid = { DATABASE_URL: 'postgres://u:p@db:5432/premiere', REDIS_URL: 'redis://cache:6379', K_SINK: 'http://broker/default' };

describe('configuration from the environment', () => {
  it('applies defaults and converts types', () => {
    const config = loadConfig(runtimeEnv, valid);
    expect(config.PORT).toBe(8080);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.REDIS_KEY_PREFIX).toBe('premiere:');
    expect(loadConfig(runtimeEnv, { ...valid, PORT: '3000' }).PORT).toBe(3000);
  });

  it('names a missing variable and what it expects', () => {
    expect(() => loadConfig(runtimeEnv, { ...valid, K_SINK: undefined })).toThrow(
      new ConfigError('K_SINK', 'K_SINK is required: the broker URL events are sent to (http or https)'),
    );
  });

  it('names a malformed variable, what it expects and what it got', () => {
    expect(() => loadConfig(runtimeEnv, { ...valid, PORT: 'eighty' })).toThrow('PORT must be a TCP port (1-65535; 0 picks a free one), got "eighty"');
    expect(() => loadConfig(runtimeEnv, { ...valid, LOG_LEVEL: 'loud' })).toThrow(/^LOG_LEVEL must be one of fatal, error/);
  });

  it('reads the SinkBinding’s K_CE_OVERRIDES as JSON', () => {
    expect(loadConfig(runtimeEnv, { ...valid, K_CE_OVERRIDES: '{"extensions":{"team":"premiere"}}' }).K_CE_OVERRIDES).toEqual({ extensions: { team: 'premiere' } });
    expect(() => loadConfig(runtimeEnv, { ...valid, K_CE_OVERRIDES: '{"extensions":{"Bad-Name":1}}' })).toThrow(/^K_CE_OVERRIDES must be JSON like/);
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
    const spec = { HOLD_SECONDS: { schema: Joi.number().integer().min(1).default(120), expect: 'a positive number of seconds' } };
    expect(loadConfig(spec, {}).HOLD_SECONDS).toBe(120);
    expect(() => loadConfig(spec, { HOLD_SECONDS: '-5' })).toThrow('HOLD_SECONDS must be a positive number of seconds, got "-5"');
  });

  it('stops a function process with one line naming the variable', () => {
    const main = path.resolve(__dirname, '../../render-catalog/dist/main.js');
    const result = spawnSync(process.execPath, [main], { env: { PATH: process.env.PATH, ...valid, REDIS_URL: 'not a url' }, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual(['render-catalog: configuration error: REDIS_URL must be a Redis URL, e.g. redis://host:6379']);
  });
});
