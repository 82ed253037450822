import Joi from 'joi';
import type { EnvSpec } from '@premiere/runtime';
import { waitingRoomEnv } from '@premiere/waiting-room';

/** admit-batch's variables: the waiting room's and the operators' token (see the README). */
export const admitBatchEnv = {
  ...waitingRoomEnv,
  ADMIN_TOKEN: {
    schema: Joi.string().min(16).max(256).required(),
    expect: 'the bearer token of the operators’ API, at least 16 characters',
    secret: true,
  },
} satisfies EnvSpec;

export type AdmitBatchEnv = typeof admitBatchEnv;
