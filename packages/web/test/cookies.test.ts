import Hapi from '@hapi/hapi';
import { languageRoute, setCookie } from '@premiere/web';
import { sessionOrNew } from '@premiere/contracts';

/**
 * Every cookie a function sets (the session, the language, any other through setCookie) is Secure
 * by one rule: when the edge says the request came over https (X-Forwarded-Proto: https; the edge
 * only says so for a trusted proxy or edge.forwardedProto), or when SESSION_COOKIE_SECURE=true
 * forces it; never with SESSION_COOKIE_SECURE=false.
 */
type Setting = 'auto' | 'true' | 'false';

async function cookiesOf(secure: Setting, headers: Record<string, string>): Promise<string[]> {
  const server = Hapi.server();
  server.route([
    languageRoute(secure),
    {
      method: 'GET',
      path: '/join',
      handler: (request, h) => {
        sessionOrNew(request, h, secure);
        setCookie(request, h, secure, 'premiere_other', 'x', { path: '/x/', isSecure: false } as never);
        return 'ok';
      },
    },
  ]);
  const cookies: string[] = [];
  for (const url of ['/language/en?next=/', '/join']) {
    const res = await server.inject({ url, headers });
    const set = res.headers['set-cookie'];
    cookies.push(...(Array.isArray(set) ? set : set ? [String(set)] : []));
  }
  return cookies;
}

const secureOf = (cookies: string[]) =>
  Object.fromEntries(cookies.map((c) => [c.split('=')[0], /;\s*Secure(;|$)/i.test(c)]));
const ALL = ['premiere_lang', 'premiere_session', 'premiere_other'];
const every = (value: boolean) => Object.fromEntries(ALL.map((name) => [name, value]));

describe('the cookies the functions set', () => {
  it('are Secure when the edge says the request came over https, and only then (auto)', async () => {
    expect(secureOf(await cookiesOf('auto', { 'x-forwarded-proto': 'https' }))).toEqual(every(true));
    expect(secureOf(await cookiesOf('auto', { 'x-forwarded-proto': 'http' }))).toEqual(every(false));
    expect(secureOf(await cookiesOf('auto', {}))).toEqual(every(false));
  });

  it('are Secure whatever the edge says with SESSION_COOKIE_SECURE=true, and never with false', async () => {
    expect(secureOf(await cookiesOf('true', { 'x-forwarded-proto': 'http' }))).toEqual(every(true));
    expect(secureOf(await cookiesOf('true', {}))).toEqual(every(true));
    expect(secureOf(await cookiesOf('false', { 'x-forwarded-proto': 'https' }))).toEqual(every(false));
  });
});
