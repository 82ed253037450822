import Joi from 'joi';
import { type EnvSpec } from '@premiere/runtime';
import { tokenEnv } from '@premiere/contracts';
import { waitingRoomEnv } from '@premiere/waiting-room';

const limit = (dflt: number) => Joi.number().integer().min(0).max(1_000_000).default(dflt);

/** issue-token's variables: the waiting room's, the signing keys, and its own (see the README). */
export const issueTokenEnv = {
  ...waitingRoomEnv,
  ...tokenEnv,
  JOIN_RATE_PER_ADDRESS: {
    schema: limit(120),
    expect:
      'joins allowed per client address per window (0 turns the limit off); generous, since many visitors share a carrier’s or an office’s address',
  },
  JOIN_RATE_PER_SESSION: { schema: limit(10), expect: 'joins allowed per session per window (0 turns the limit off)' },
  JOIN_RATE_WINDOW_SECONDS: {
    schema: Joi.number().integer().min(1).max(3_600).default(60),
    expect: 'the rate limits’ window in seconds (1-3600)',
  },
  // One address's share of a show: max(ADDRESS_TOKEN_CAP_MIN, ⌊ADDRESS_TOKEN_CAP_SHARE × quota⌋)
  // live tokens. Small, so that one address cannot drain a show; the trade-off with shared
  // addresses (carrier-grade NAT, offices) is in the README.
  ADDRESS_TOKEN_CAP_MIN: {
    schema: limit(4),
    expect:
      'live tokens of a show one client address may always hold, whatever the show’s size (0-1000000; with ADDRESS_TOKEN_CAP_SHARE 0 too, no cap)',
  },
  ADDRESS_TOKEN_CAP_SHARE: {
    schema: Joi.number().min(0).max(1).default(0.05),
    expect:
      'the share of a show’s quota one client address may hold as live tokens, when more than ADDRESS_TOKEN_CAP_MIN (0-1; with ADDRESS_TOKEN_CAP_MIN 0 too, no cap)',
  },
  ADDRESS_NEW_TOKEN_RATE: {
    schema: limit(10),
    expect:
      'new tokens of a show one client address may take per JOIN_RATE_WINDOW_SECONDS (0 turns the limit off); a session’s re-joins are not new tokens',
  },
  STATUS_SNAPSHOT_MS: {
    schema: Joi.number().integer().min(0).max(5_000).default(200),
    expect:
      'how old (ms) the per-process snapshot of a show’s line that answers status polls may be (0: read it for every poll; 0-5000)',
  },
} satisfies EnvSpec;

export type IssueTokenEnv = typeof issueTokenEnv;
