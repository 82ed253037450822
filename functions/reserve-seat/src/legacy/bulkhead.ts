import { randomUUID } from 'node:crypto';
import type { Redis } from '@premiere/runtime';

/** No slot came free in time: the legacy system is working at its limit. */
export class BulkheadFull extends Error {
  constructor(waitedMs: number) {
    super(`no legacy slot came free within ${waitedMs} ms`);
    this.name = 'BulkheadFull';
  }
}

export interface Slot {
  /** The call is over: the slot goes to the next caller at once. */
  release(): Promise<void>;
  /**
   * The call was abandoned (timed out): the legacy system may still be working on it, so the slot
   * stays taken until its lease ends.
   */
  abandon(): void;
}

/**
 * A distributed semaphore in Redis in front of the legacy system, shared by every replica: never
 * more than `limit` calls in flight across the deployment. Each slot is leased, so a replica killed
 * mid-call cannot leak one. Waiters poll Redis with a short, jittered backoff; a slot released in
 * this process wakes a local waiter at once.
 *
 * Every call is also counted in the `usageKey` hash, for the whole deployment: `busyMs` (slots
 * held), `waitedMs` (callers waiting for one), `calls`, `full` (callers who gave up waiting) and
 * the `limit`. The waiting room's bouncer reads it to size the zone so that the legacy system is
 * kept busy to its limit (see @premiere/waiting-room's adapt-capacity.lua).
 */
export class Bulkhead {
  private readonly localWaiters: (() => void)[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly opts: { key: string; usageKey: string; limit: number; leaseMs: number; waitMs: number },
  ) {}

  async acquire(): Promise<Slot> {
    const holder = randomUUID();
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      const taken = await (this.redis as unknown as { bulkheadAcquire(...a: (string | number)[]): Promise<number> })
        .bulkheadAcquire(this.opts.key, holder, this.opts.limit, this.opts.leaseMs);
      if (taken === 1) return this.slot(holder, Date.now() - started);
      const waited = Date.now() - started;
      if (waited >= this.opts.waitMs) {
        this.count({ waitedMs: waited, full: 1 });
        throw new BulkheadFull(waited);
      }
      await this.pause(Math.min(this.opts.waitMs - waited, Math.min(50, 5 * (attempt + 1)) * (0.5 + Math.random())));
    }
  }

  private slot(holder: string, waitedMs: number): Slot {
    const takenAt = Date.now();
    let done = false;
    return {
      release: async () => {
        if (done) return;
        done = true;
        await this.redis.zrem(this.opts.key, holder).catch(() => undefined); // else its lease frees it
        this.localWaiters.shift()?.();
        this.count({ busyMs: Date.now() - takenAt, waitedMs, calls: 1 });
      },
      abandon: () => {
        done = true;
        this.count({ busyMs: this.opts.leaseMs, waitedMs, calls: 1 }); // taken until its lease ends
      },
    };
  }

  /** Adds to the deployment's usage counters; best effort (a lost count only blurs the picture). */
  private count(add: { busyMs?: number; waitedMs?: number; calls?: number; full?: number }): void {
    const pipeline = this.redis.pipeline().hset(this.opts.usageKey, 'limit', this.opts.limit);
    for (const [field, n] of Object.entries(add)) if (n) pipeline.hincrby(this.opts.usageKey, field, Math.round(n));
    pipeline.exec().catch(() => undefined);
  }

  /** Sleeps `ms`, or less if a slot is released in this process meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        const i = this.localWaiters.indexOf(wake);
        if (i !== -1) this.localWaiters.splice(i, 1);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.localWaiters.push(wake);
    });
  }
}
