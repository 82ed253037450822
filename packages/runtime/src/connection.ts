import Boom from '@hapi/boom';
import type { Request } from '@hapi/hapi';

/**
 * The address the request came from. Once the client has gone its socket no longer knows it: a
 * 400 then, before anything is changed or recorded (nobody is there to read the answer).
 */
export function connectionAddress(request: Request): string {
  const address = request.info.remoteAddress as string | undefined;
  if (!address) throw Boom.badRequest('the connection closed before its address was known');
  return address;
}
