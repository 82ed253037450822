import type { Redis } from '@premiere/runtime';
import { CATALOG_KEYS } from './keys';

/** The Lua commands of ../lua as ioredis defines them (defineScripts): called only from here. */
interface CatalogCommands {
  releaseLock(lock: string, token: string): Promise<number>;
}

/** render-catalog's atomic steps in Redis. */
export class CatalogScripts {
  constructor(private readonly redis: Redis) {}

  private get commands(): CatalogCommands {
    return this.redis as unknown as CatalogCommands;
  }

  /** Releases the render lock of page `key` if it still holds `token` (release-lock.lua); true if released. */
  async releaseLock(key: string, token: string): Promise<boolean> {
    return (await this.commands.releaseLock(CATALOG_KEYS.lock(key), token)) === 1;
  }
}
