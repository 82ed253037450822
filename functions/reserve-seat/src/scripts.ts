import type { Redis } from '@premiere/runtime';
import type { BulkheadKeys } from './keys';

/**
 * The Lua commands of ../lua as ioredis defines them (defineScripts): called only from here. The
 * waiting room's scripts, which reserve-seat runs too, are called through @premiere/waiting-room's
 * RoomScripts.
 */
interface BulkheadCommands {
  bulkheadAcquire(
    bulkhead: string,
    waiting: string,
    epoch: string,
    holder: string,
    limit: number,
    leaseMs: number,
    process: string,
    markMs: number,
    known: '1' | '0',
    quarantineMs: number,
  ): Promise<number>;
  bulkheadHandOver(
    bulkhead: string,
    waiting: string,
    epoch: string,
    from: string,
    to: string,
    limit: number,
    leaseMs: number,
    process: string,
    quarantineMs: number,
  ): Promise<number>;
  bulkheadRemind(
    bulkhead: string,
    epoch: string,
    quarantineMs: number,
    ...holdersAndLeasesLeft: (string | number)[]
  ): Promise<number>;
}

/** The bulkhead's atomic steps (bulkhead-*.lua), on its named keys. */
export class BulkheadScripts {
  constructor(
    private readonly redis: Redis,
    readonly keys: BulkheadKeys,
  ) {}

  private get commands(): BulkheadCommands {
    return this.redis as unknown as BulkheadCommands;
  }

  /**
   * Takes a slot for `holder` (`<process>:<call>`), leased for `leaseMs`; true if taken, else the
   * process is marked as waiting for `markMs`. `known`: whether the process knew the bulkhead
   * (one that finds it gone knows Redis forgot it).
   */
  async acquire(a: {
    holder: string;
    limit: number;
    leaseMs: number;
    process: string;
    markMs: number;
    known: boolean;
    quarantineMs: number;
  }): Promise<boolean> {
    const { bulkhead, waiting, epoch } = this.keys;
    return (
      (await this.commands.bulkheadAcquire(
        bulkhead,
        waiting,
        epoch,
        a.holder,
        a.limit,
        a.leaseMs,
        a.process,
        a.markMs,
        a.known ? '1' : '0',
        a.quarantineMs,
      )) === 1
    );
  }

  /** Hands the slot of `from` to `to` in one step; true if `to` has it (`from` is freed either way). */
  async handOver(a: {
    from: string;
    to: string;
    limit: number;
    leaseMs: number;
    process: string;
    quarantineMs: number;
  }): Promise<boolean> {
    const { bulkhead, waiting, epoch } = this.keys;
    return (
      (await this.commands.bulkheadHandOver(
        bulkhead,
        waiting,
        epoch,
        a.from,
        a.to,
        a.limit,
        a.leaseMs,
        a.process,
        a.quarantineMs,
      )) === 1
    );
  }

  /** Puts back the leases of calls in flight that Redis forgot; how many were put back. */
  async remind(quarantineMs: number, leases: { holder: string; leftMs: number }[]): Promise<number> {
    const { bulkhead, epoch } = this.keys;
    return Number(
      await this.commands.bulkheadRemind(bulkhead, epoch, quarantineMs, ...leases.flatMap((l) => [l.holder, l.leftMs])),
    );
  }
}
