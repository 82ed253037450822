import type { FunctionDefinition } from '@premiere/runtime';

/** issue-token: health and metrics for now; its behaviour comes with its issue. */
export const issueToken: FunctionDefinition = {
  name: 'issue-token',
};
