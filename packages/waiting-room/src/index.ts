import path from 'node:path';

export * from './env';
export * from './keys';
export * from './room';
export * from './queue';
export * from './estimate';
export * from './ledger';
export * from './scripts';

/** The folder of the waiting room's Lua scripts, for a FunctionDefinition's `redisScripts`. */
export const WAITING_ROOM_SCRIPTS = path.resolve(__dirname, '../lua');
export * from './snapshot';
export * from './deployment-memory';
