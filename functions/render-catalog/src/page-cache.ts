import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from '@premiere/runtime';
import { BoundedMap, Counter, Histogram, type Registry } from '@premiere/runtime';
import { CATALOG_KEYS } from './keys';
import { CatalogScripts } from './scripts';

/**
 * Rendered pages, cached in Redis for every replica, with a tiny in-memory layer in front (bounded
 * in size and time; nothing depends on it). A page depends on versions (the catalog's, a movie's,
 * a cinema's): an event bumps a version, and every page depending on it is stale from then on.
 * A miss is rendered once across all replicas (a Redis lock); the others serve the stale copy
 * meanwhile, or wait for the fresh one.
 */
export interface CachedPage {
  etag: string;
  type: string;
  status: number;
  body: string;
  /** When it was rendered (ms). */
  at: number;
  /** The versions it was rendered at. */
  versions: string;
  /** When it goes stale whatever its TTL (a show's sales open: it read "pre-sale"), epoch ms. */
  changesAt?: number;
}

const { versions: VERSIONS, page: pageKey, lock: lockKey } = CATALOG_KEYS;

export const strongEtag = (body: string) => `"${createHash('sha1').update(body).digest('base64url')}"`;

export function createPageCache(opts: {
  redis: Redis;
  registry: Registry;
  ttlSeconds: number;
  staleSeconds: number;
  memory: { entries: number; ms: number };
  lockMs?: number;
}) {
  const lockMs = opts.lockMs ?? 5_000;
  const scripts = new CatalogScripts(opts.redis);
  const memory = new BoundedMap<string, { page: CachedPage; until: number }>(opts.memory.entries);
  const metrics = {
    lookups: new Counter({
      name: 'premiere_catalog_cache_total',
      help: 'Catalog page lookups by outcome: memory_hit, hit (Redis), stale (served while another replica renders), miss (rendered here)',
      labelNames: ['outcome'] as const,
      registers: [opts.registry],
    }),
    notModified: new Counter({
      name: 'premiere_catalog_not_modified_total',
      help: 'Conditional requests answered 304 Not Modified',
      registers: [opts.registry],
    }),
    renders: new Histogram({
      name: 'premiere_catalog_render_seconds',
      help: 'Time to render a catalog page (database, availability, HTML or JSON)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [opts.registry],
    }),
  };

  // Label sets resolved once, not hashed on every lookup.
  const outcome = {
    memoryHit: metrics.lookups.labels('memory_hit'),
    hit: metrics.lookups.labels('hit'),
    stale: metrics.lookups.labels('stale'),
    miss: metrics.lookups.labels('miss'),
  };

  const remember = (key: string, page: CachedPage) => {
    memory.set(key, { page, until: Math.min(Date.now() + opts.memory.ms, page.changesAt ?? Infinity) });
  };

  async function read(key: string, deps: string[]): Promise<{ versions: string; page: CachedPage | null }> {
    const results = await opts.redis
      .pipeline()
      .hmget(VERSIONS, ...deps)
      .get(pageKey(key))
      .exec();
    if (!results) throw new Error('redis pipeline returned nothing');
    const [[err1, versions], [err2, raw]] = results as [
      [Error | null, (string | null)[]],
      [Error | null, string | null],
    ];
    if (err1 || err2) throw err1 ?? err2;
    return { versions: versions.map((v) => v ?? '0').join('.'), page: raw ? (JSON.parse(raw) as CachedPage) : null };
  }

  async function store(key: string, page: CachedPage) {
    await opts.redis.set(pageKey(key), JSON.stringify(page), 'EX', opts.ttlSeconds + opts.staleSeconds);
  }

  return {
    metrics,
    /**
     * The page at `key`, depending on the versions `deps`; `render` makes it (returns status,
     * type and body, and when it changes by itself) when no fresh copy exists. Only 200s are cached.
     */
    async get(
      key: string,
      deps: string[],
      render: () => Promise<{ status: number; type: string; body: string; changesAt?: number }>,
    ): Promise<CachedPage> {
      const inMemory = memory.get(key);
      if (inMemory && inMemory.until > Date.now()) {
        outcome.memoryHit.inc();
        return inMemory.page;
      }
      const { versions, page } = await read(key, deps);
      const fresh = (p: CachedPage | null) =>
        p !== null &&
        p.versions === versions &&
        Date.now() - p.at < opts.ttlSeconds * 1000 &&
        !(p.changesAt !== undefined && Date.now() >= p.changesAt);
      if (fresh(page)) {
        outcome.hit.inc();
        remember(key, page!);
        return page!;
      }
      const renderHere = async (): Promise<CachedPage> => {
        const end = metrics.renders.startTimer();
        let made: Awaited<ReturnType<typeof render>>;
        try {
          made = await render();
        } catch (err) {
          // The database is down or slow: an older copy beats an error page.
          if (!page) throw err;
          outcome.stale.inc();
          return page;
        } finally {
          end();
        }
        outcome.miss.inc();
        const rendered: CachedPage = { ...made, etag: strongEtag(made.body), at: Date.now(), versions };
        if (made.status === 200) {
          await store(key, rendered);
          remember(key, rendered);
        }
        return rendered;
      };
      const token = randomUUID();
      const locked = await opts.redis.set(lockKey(key), token, 'PX', lockMs, 'NX');
      if (locked) {
        try {
          // Another replica may have rendered it between our read and our lock.
          const again = await read(key, deps);
          if (fresh(again.page) && again.versions === versions) {
            outcome.hit.inc();
            remember(key, again.page!);
            return again.page!;
          }
          return await renderHere();
        } finally {
          await scripts.releaseLock(key, token);
        }
      }
      // Another replica is rendering: the stale copy now, else wait for the fresh one.
      if (page) {
        outcome.stale.inc();
        return page;
      }
      const deadline = Date.now() + lockMs;
      const rendered = async () => {
        const again = await read(key, deps);
        return again.page && again.page.versions === again.versions ? again.page : null;
      };
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        const page = await rendered();
        if (page) {
          outcome.hit.inc();
          return page;
        }
        if (!(await opts.redis.exists(lockKey(key)))) {
          // Released since we read: stored just now (look once more), or given up (e.g. a 404).
          const stored = await rendered();
          if (stored) {
            outcome.hit.inc();
            return stored;
          }
          break; // render it here
        }
      }
      return renderHere();
    },
    /** Marks every page depending on `dep` (e.g. "movie:last-starfall") as stale. */
    async invalidate(...deps: string[]) {
      const pipeline = opts.redis.pipeline();
      for (const dep of deps) pipeline.hincrby(VERSIONS, dep, 1);
      await pipeline.exec();
      memory.clear();
    },
  };
}

export type PageCache = ReturnType<typeof createPageCache>;

/** The page cache of one running function, made by its setup (its routes and event handlers share it). */
export function catalogPageCache(ctx: {
  redis: Redis;
  metrics: { registry: Registry };
  config: {
    CATALOG_TTL_SECONDS: number;
    CATALOG_STALE_SECONDS: number;
    CATALOG_MEMORY_ENTRIES: number;
    CATALOG_MEMORY_MS: number;
  };
}): PageCache {
  return createPageCache({
    redis: ctx.redis,
    registry: ctx.metrics.registry,
    ttlSeconds: ctx.config.CATALOG_TTL_SECONDS,
    staleSeconds: ctx.config.CATALOG_STALE_SECONDS,
    memory: { entries: ctx.config.CATALOG_MEMORY_ENTRIES, ms: ctx.config.CATALOG_MEMORY_MS },
  });
}
