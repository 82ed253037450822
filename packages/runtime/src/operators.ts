import { createHash, timingSafeEqual } from 'node:crypto';
import Boom from '@hapi/boom';
import type { Request, ServerRoute } from '@hapi/hapi';
import Joi from 'joi';
import type { EnvSpec } from './config';

/** The operators' token, read by every function with an operators' API (the same secret for all). */
export const operatorEnv = {
  ADMIN_TOKEN: {
    schema: Joi.string().min(16).max(256).required(),
    expect: 'the bearer token of the operators’ API, at least 16 characters',
    secret: true,
  },
} satisfies EnvSpec;

/** Route validation for the operators' API: a missing header is a 400 that says what to send. */
export const operatorHeaders = Joi.object({
  authorization: Joi.string()
    .required()
    .messages({ 'any.required': 'the operators’ API needs "Authorization: Bearer <ADMIN_TOKEN>"' }),
}).unknown();

/** Throws 401 unless the request carries `Authorization: Bearer <adminToken>` (compared in constant time). */
export function operatorCheck(adminToken: string): (request: Request) => void {
  const expected = createHash('sha256').update(adminToken).digest();
  return (request) => {
    const given = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    if (!given || !timingSafeEqual(createHash('sha256').update(given).digest(), expected)) {
      throw Boom.unauthorized('a valid "Authorization: Bearer <ADMIN_TOKEN>" is required');
    }
  };
}

/** A route of the operators' API: the Authorization header required, a small body at most (4 KiB). */
export function operatorRoute(
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  handler: ServerRoute['handler'],
  validate: Record<string, unknown> = {},
): ServerRoute {
  return {
    method,
    path,
    options: {
      validate: { headers: operatorHeaders, ...validate },
      payload: method === 'GET' ? undefined : { maxBytes: 4_096 },
    },
    handler,
  };
}
