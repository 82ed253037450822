import type { FunctionDefinition } from '@premiere/runtime';
import { WAITING_ROOM_SCRIPTS } from '@premiere/waiting-room';
import { issueTokenEnv, type IssueTokenEnv } from './env';
import { issueTokenRoutes } from './routes';

/**
 * issue-token: joining a show's waiting room (a signed token bound to the session, a place in
 * line, the token quota) and the status every waiting visitor polls. Redis only on the hot paths.
 */
export const issueToken: FunctionDefinition<IssueTokenEnv> = {
  name: 'issue-token',
  env: issueTokenEnv,
  routes: issueTokenRoutes,
  redisScripts: WAITING_ROOM_SCRIPTS,
};
