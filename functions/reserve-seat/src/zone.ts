import Boom from '@hapi/boom';
import type { Request } from '@hapi/hapi';
import { requireSession, TokenRefused, TokenSigner, type TokenClaims } from '@premiere/contracts';

/** The zone pass: an access token reserve-seat signs on entry, expiring when the visit's time is up (visits.ts). */
export const ZONE_COOKIE = 'premiere_zone';

/**
 * Who may act in the protected zone: the holder of an access token (from the waiting room on
 * entry, the zone pass after) for this show, bound to this session. 401 / 403 with the reason
 * otherwise, and where to go back to. Whether their visit is still open is the caller's check
 * (visits.ts).
 */
export function admittedVisitor(
  signer: TokenSigner,
  request: Request,
  token: string | undefined,
  showId: string,
): TokenClaims & { session: string } {
  const back = `join the waiting room again: /waiting-room/${showId}`;
  if (!token) throw Boom.unauthorized(`only admitted visitors may choose seats; ${back}`);
  const session = requireSession(request);
  try {
    return { ...signer.verify(token, { typ: 'access', show: showId, session }), session };
  } catch (err) {
    if (!(err instanceof TokenRefused)) throw err;
    const boom = err.toBoom(back);
    Object.assign(boom.output.payload, { reason: 'not_admitted', waitingRoom: `/waiting-room/${showId}` });
    throw boom;
  }
}

/** The zone pass of a request: `Authorization: Bearer`, else the cookie. */
export function zonePassOf(request: Request): string | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice('Bearer '.length);
  const cookie = (request.state as Record<string, unknown> | null)?.[ZONE_COOKIE];
  return typeof cookie === 'string' ? cookie : undefined;
}
