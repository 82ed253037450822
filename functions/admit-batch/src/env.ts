import { operatorEnv, type EnvSpec } from '@premiere/runtime';
import { waitingRoomEnv } from '@premiere/waiting-room';

/** admit-batch's variables: the waiting room's and the operators' token (see the README). */
export const admitBatchEnv = {
  ...waitingRoomEnv,
  ...operatorEnv,
} satisfies EnvSpec;

export type AdmitBatchEnv = typeof admitBatchEnv;
