import { randomUUID } from 'node:crypto';
import type { Redis } from '@premiere/runtime';
import { bulkheadKeys } from '../keys';
import { BulkheadScripts } from '../scripts';

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

interface Waiter {
  holder: string;
  started: number;
  state: 'waiting' | 'served' | 'gave_up';
  resolve(slot: Slot): void;
  reject(err: unknown): void;
}

/** How long a process's "waiting" mark lasts: its poller renews it at every try (at most every 75 ms). */
const WAITING_MARK_MS = 150;
/**
 * While a process has calls in flight it puts their leases back this often if Redis forgot them;
 * a bulkhead made again after that gives no slot for QUARANTINE_MS (lua/lib/epoch.lua).
 */
const HEARTBEAT_MS = 200;
const QUARANTINE_MS = 3 * HEARTBEAT_MS;

/**
 * A distributed semaphore in Redis in front of the legacy system, shared by every replica: never
 * more than `limit` calls in flight across the deployment. Each slot is leased, so a replica killed
 * mid-call cannot leak one. A process's callers wait in line (first come, first served) and only
 * the first of them asks Redis, with a short, jittered backoff, so a crowd of waiters is one poller
 * rather than hundreds. A call that ends while others here wait hands its slot to the first of
 * them in one Redis step: between two calls the legacy system waits one round trip, not two. While
 * other processes wait too, a process keeps at most its share of the slots (limit / processes
 * waiting): no replica is starved by another whose callers keep coming.
 *
 * Every call is also counted in the `usageKey` hash, for the whole deployment: `busyMs` (slots
 * held), `waitedMs` (callers waiting for one), `calls`, `full` (callers who gave up waiting) and
 * the `limit`. The waiting room's bouncer reads it to size the zone so that the legacy system is
 * kept busy to its limit (see @premiere/waiting-room's adapt-capacity.lua).
 */
export class Bulkhead {
  private readonly line: Waiter[] = [];
  /** This process, as the bulkhead knows it: its holders are `<process>:<call>`. */
  private readonly process = randomUUID();
  private readonly scripts: BulkheadScripts;
  private polling = false;
  private wake?: () => void;
  /** Slots freed in this process so far: one freed while the poller asked is not missed. */
  private freed = 0;
  /** Whether this process has used the bulkhead: if it finds it gone, Redis forgot it. */
  private known = false;
  /** This process's calls in flight: holder → when its lease ends (ms), put back by the heartbeat. */
  private readonly leases = new Map<string, number>();
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly opts: { key: string; usageKey: string; limit: number; leaseMs: number; waitMs: number },
  ) {
    this.scripts = new BulkheadScripts(redis, bulkheadKeys(opts.key));
  }

  acquire(): Promise<Slot> {
    return new Promise((resolve, reject) => {
      this.line.push({
        holder: `${this.process}:${randomUUID()}`,
        started: Date.now(),
        state: 'waiting',
        resolve,
        reject,
      });
      void this.poll();
    });
  }

  /** Takes `waiter` out of line with its slot; false if it was out already. */
  private grant(waiter: Waiter): boolean {
    if (waiter.state !== 'waiting') return false;
    waiter.state = 'served';
    this.line.splice(this.line.indexOf(waiter), 1);
    this.leased(waiter.holder);
    waiter.resolve(this.slot(waiter.holder, Date.now() - waiter.started));
    return true;
  }

  /** Takes `waiter` out of line without a slot. */
  private giveUp(waiter: Waiter, err: unknown): void {
    waiter.state = 'gave_up';
    this.line.splice(this.line.indexOf(waiter), 1);
    waiter.reject(err);
  }

  /** Asks Redis for a slot for the first in line until the line is empty. */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (let attempt = 0; this.line.length > 0;) {
        const first = this.line[0];
        const freedBefore = this.freed;
        let taken: boolean;
        try {
          taken = await this.scripts.acquire({
            holder: first.holder,
            limit: this.opts.limit,
            leaseMs: this.opts.leaseMs,
            process: this.process,
            markMs: WAITING_MARK_MS,
            known: this.known || this.leases.size > 0,
            quarantineMs: QUARANTINE_MS,
          });
          this.known = true;
        } catch (err) {
          if (first.state === 'waiting') this.giveUp(first, err);
          continue;
        }
        if (taken) {
          this.grant(first); // a hand-over meanwhile gave it this same holder's slot: one slot either way
          attempt = 0;
          continue;
        }
        if (first.state !== 'waiting') continue; // served by a hand-over meanwhile
        const waited = Date.now() - first.started;
        if (waited >= this.opts.waitMs) {
          // Everyone waits as long, so whoever came first gives up first.
          this.count({ waitedMs: waited, full: 1 });
          this.giveUp(first, new BulkheadFull(waited));
          continue;
        }
        if (this.freed !== freedBefore) continue;
        await this.pause(Math.min(this.opts.waitMs - waited, Math.min(50, 5 * ++attempt) * (0.5 + Math.random())));
      }
    } finally {
      this.polling = false;
      // Nobody here waits any more: others need not leave room for us.
      this.redis.zrem(this.scripts.keys.waiting, this.process).catch(() => undefined);
    }
  }

  private slot(holder: string, waitedMs: number): Slot {
    const takenAt = Date.now();
    let done = false;
    return {
      release: async () => {
        if (done) return;
        done = true;
        this.leases.delete(holder);
        this.count({ busyMs: Date.now() - takenAt, waitedMs, calls: 1 });
        const next = this.line[0];
        if (next) {
          const handed = await this.scripts
            .handOver({
              from: holder,
              to: next.holder,
              limit: this.opts.limit,
              leaseMs: this.opts.leaseMs,
              process: this.process,
              quarantineMs: QUARANTINE_MS,
            })
            .catch(() => false);
          if (handed && this.grant(next)) return;
          // It gave up meanwhile: the slot it was handed is freed. (Served meanwhile by the poller,
          // it holds that same slot.)
          if (handed && next.state === 'gave_up')
            await this.redis.zrem(this.scripts.keys.bulkhead, next.holder).catch(() => undefined);
        } else {
          await this.redis.zrem(this.scripts.keys.bulkhead, holder).catch(() => undefined); // else its lease frees it
        }
        this.freed++;
        this.wake?.();
      },
      abandon: () => {
        done = true;
        this.count({ busyMs: this.opts.leaseMs, waitedMs, calls: 1 }); // taken until its lease ends
      },
    };
  }

  /** A call of this process took a slot: its lease is kept by the heartbeat until it ends. */
  private leased(holder: string): void {
    this.leases.set(holder, Date.now() + this.opts.leaseMs);
    this.heartbeat ??= setInterval(() => this.remind(), HEARTBEAT_MS).unref();
  }

  /** The heartbeat: puts back the leases of this process's calls in flight if Redis forgot them. */
  private remind(): void {
    const now = Date.now();
    const leases: { holder: string; leftMs: number }[] = [];
    for (const [holder, endsAt] of this.leases) {
      if (endsAt <= now)
        this.leases.delete(holder); // an abandoned call's lease ran out
      else leases.push({ holder, leftMs: endsAt - now });
    }
    if (this.leases.size === 0) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
      return;
    }
    this.scripts.remind(QUARANTINE_MS, leases).catch(() => undefined);
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
      const timer = setTimeout(() => this.wake?.(), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
