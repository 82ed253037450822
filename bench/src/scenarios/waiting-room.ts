import pino from 'pino';
import { createFunction } from '@premiere/runtime';
import { createTestDatabase, createTestRedisPrefix, TEST_REDIS_URL } from '@premiere/testing';
import { loadDemoCatalog, PREMIERE_SHOW_ID } from '@premiere/local-stack/demo-catalog';
import { issueToken } from '@premiere/issue-token';
import { changeRoomSettings, ensureRoom } from '@premiere/waiting-room';
import type { Scenario } from '../scenario';

/**
 * issue-token's two hot paths: `join` (a new session joins the premiere's waiting room and gets
 * a token: the rate-limit counters and the join script, two Redis round trips) and `status` (a
 * waiting visitor's poll: the token checked, one Redis script). The per-address limits are on
 * (joins per address, the address's share of the show's tokens, new tokens per address), set high
 * enough never to refuse the benchmark's one address, so their cost is measured.
 */
export const waitingRoom: Scenario = {
  name: 'waiting-room',
  async setup() {
    const db = await createTestDatabase();
    await loadDemoCatalog(db.url);
    const redis = createTestRedisPrefix();
    const fn = createFunction(
      issueToken,
      {
        PORT: '0',
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: redis.prefix,
        K_SINK: 'http://127.0.0.1:9/',
        LOG_LEVEL: 'info',
        TOKEN_SIGNING_KEYS: JSON.stringify({ bench: 'bench-signing-key-0123456789abcdefghij' }),
        JOIN_RATE_PER_ADDRESS: '1000000',
        JOIN_RATE_PER_SESSION: '10',
        ADDRESS_TOKEN_CAP_SHARE: '1', // the whole quota: a cap that costs its check, never refuses
        ADDRESS_NEW_TOKEN_RATE: '1000000',
      },
      pino.destination({ dest: '/dev/null', sync: false }),
    );
    await fn.start();
    const url = `http://127.0.0.1:${fn.server.info.port}`;
    const showId = PREMIERE_SHOW_ID;
    const joinUrl = `${url}/waiting-room/api/shows/${showId}/join`;

    // The premiere has 24 seats; the join case needs a quota no run can use up.
    await ensureRoom(fn.ctx.redis, fn.ctx.db, showId, fn.ctx.config);
    await changeRoomSettings(fn.ctx.redis, showId, { quota: 100_000_000 });
    // A visitor far back in line, whose polls the `status` case repeats.
    const session = 'bench-waiting-visitor-0001';
    for (let i = 0; i < 30; i++)
      await fetch(joinUrl, {
        method: 'POST',
        headers: { 'x-session-id': `bench-ahead-${String(i).padStart(8, '0')}` },
      });
    const joined = (await (await fetch(joinUrl, { method: 'POST', headers: { 'x-session-id': session } })).json()) as {
      token: string;
      status?: { state: string };
    };
    if (joined.status?.state !== 'waiting')
      throw new Error(`the status case needs a waiting visitor, got ${JSON.stringify(joined)}`);

    let n = 0;
    return {
      cases: {
        join: {
          url: joinUrl,
          method: 'POST',
          expectStatus: 201,
          setupRequest: (req) => ({
            ...req,
            headers: { ...req.headers, 'x-session-id': `bench-${process.pid}-${(++n).toString().padStart(12, '0')}` },
          }),
        },
        status: {
          url: `${url}/waiting-room/api/shows/${showId}/status`,
          headers: { authorization: `Bearer ${joined.token}`, 'x-session-id': session },
        },
      },
      async teardown() {
        await fn.stop();
        await redis.clean();
        await db.drop();
      },
    };
  },
};
