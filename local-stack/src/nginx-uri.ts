/**
 * A request's URI as NGINX reads it, so that the local edge routes and refuses exactly as the
 * chart's NGINX edge does. A port of ngx_http_parse_request_line's URI part and of
 * ngx_http_parse_complex_uri (src/http/ngx_http_parse.c, unchanged from 1.22 to 1.27; merge_slashes
 * on, as by default), checked against a real nginx by helm/check/test/edge-parity.test.ts.
 *
 * Strings hold one character per byte (Node gives a request's URL as latin1), so a decoded %ff is
 * the character \xff, as NGINX's byte is.
 */

/** NGINX answers a request whose request line (with its CRLF) does not fit this with 414 (large_client_header_buffers 8k). */
export const MAX_REQUEST_LINE = 8192;

export interface RequestUri {
  /** The decoded, normalised path NGINX matches locations against ($uri). */
  path: string;
  /** The query as sent, not decoded ($args); '' when there is none. */
  args: string;
}

/** Why NGINX refuses a request line: 400, and where it noticed (414 wins if that is past what fits). */
export interface UriError {
  status: 400;
  /** The index in the request target at which NGINX gives up; Infinity when only the whole URI tells. */
  at: number;
  reason: string;
}

const code = (s: string, i: number) => (i < s.length ? s.charCodeAt(i) : -1);
const isAlpha = (c: number) => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
const hexValue = (c: number) => (isDigit(c) ? c - 0x30 : (c | 0x20) - 0x61 + 10);
const isControl = (c: number) => c < 0x20 || c === 0x7f;
const SLASH = 0x2f;
const DOT = 0x2e;
const PERCENT = 0x25;
const QUESTION = 0x3f;
const HASH = 0x23;

/**
 * ngx_http_validate_host: no empty host, no "..", no '/', spaces or control characters; a trailing
 * dot and the port are not part of it.
 */
export function isValidHost(host: string): boolean {
  let dot = -2;
  let length = host.length;
  let state: 'usual' | 'literal' | 'rest' = 'usual';
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c === DOT) {
      if (dot === i - 1) return false;
      dot = i;
    } else if (c === 0x3a /* : */) {
      if (state === 'usual') {
        length = i;
        state = 'rest';
      }
    } else if (c === 0x5b /* [ */) {
      if (i === 0) state = 'literal';
    } else if (c === 0x5d /* ] */) {
      if (state === 'literal') {
        length = i + 1;
        state = 'rest';
      }
    } else if (c === SLASH || c <= 0x20 || c === 0x7f) {
      return false;
    }
  }
  if (dot === length - 1) length--;
  return length > 0;
}

/** RFC 3986's characters of an IP literal that NGINX's request line takes between [ and ]. */
const IP_LITERAL = /^[A-Za-z0-9:._~!$&'()*+,;=-]$/;

/**
 * The URI part of a request target: all of it (origin form, "/…"), or what follows
 * `scheme://host[:port]` (absolute form, which NGINX also takes), with that host.
 */
function splitTarget(target: string): { uri: string; at: number; host: string | null; emptyPath: boolean } | UriError {
  if (code(target, 0) === SLASH) return { uri: target, at: 0, host: null, emptyPath: false };
  const fail = (at: number, reason: string): UriError => ({ status: 400, at, reason });
  const schemeChar = (c: number) => isAlpha(c) || isDigit(c) || c === 0x2b || c === 0x2d || c === DOT;
  if (!isAlpha(code(target, 0))) return fail(0, 'a request target starts with "/" or a scheme');
  let i = 0;
  while (schemeChar(code(target, i))) i++;
  if (code(target, i) !== 0x3a || code(target, i + 1) !== SLASH || code(target, i + 2) !== SLASH)
    return fail(i, 'a scheme is followed by "://"');
  i += 3;
  const hostStart = i;
  if (code(target, i) === 0x5b) {
    for (i++; code(target, i) !== 0x5d; i++)
      if (!IP_LITERAL.test(target[i] ?? '')) return fail(i, 'a character NGINX does not take in an IP literal');
    i++;
  } else {
    while (isAlpha(code(target, i)) || isDigit(code(target, i)) || code(target, i) === DOT || code(target, i) === 0x2d)
      i++;
  }
  const host = target.slice(hostStart, i);
  if (code(target, i) === 0x3a) for (i++; isDigit(code(target, i)); i++);
  const next = code(target, i);
  if (next === SLASH) return { uri: target.slice(i), at: i, host, emptyPath: false };
  if (next === QUESTION) return { uri: target.slice(i), at: i, host, emptyPath: true };
  // "http://host" alone: NGINX takes the '/' of "://" as its URI.
  if (next === -1) return { uri: '/', at: i, host, emptyPath: false };
  return fail(i, 'a character NGINX does not take in a host or port');
}

/**
 * The request target (the URL of the request line) as NGINX reads it: its path decoded
 * (percent-encoding, '%2F' included), dot segments resolved (encoded ones too), slashes merged;
 * or why NGINX answers 400 (a '%' without two hex digits, '%00', a '..' above the root, a control
 * character, a malformed absolute URI or host).
 */
export function parseRequestUri(target: string): RequestUri | UriError {
  const split = splitTarget(target);
  if ('status' in split) return split;
  for (let i = 0; i < split.uri.length; i++) {
    if (isControl(split.uri.charCodeAt(i)))
      return { status: 400, at: split.at + i, reason: 'a control character in the URI' };
  }
  const parsed = parseComplexUri(split.uri, split.emptyPath);
  if ('status' in parsed) return parsed;
  if (split.host !== null && !isValidHost(split.host))
    return { status: 400, at: Infinity, reason: 'an invalid host in the request line' };
  return parsed;
}

type State = 'usual' | 'slash' | 'dot' | 'dotDot' | 'quoted' | 'quotedSecond';

const latin1 = (bytes: number[], length: number) => Buffer.from(bytes.slice(0, length)).toString('latin1');

/** ngx_http_parse_complex_uri, state for state (merge_slashes on; not Windows). */
function parseComplexUri(raw: string, emptyPath: boolean): { path: string; args: string } | UriError {
  const invalid = (reason: string): UriError => ({ status: 400, at: Infinity, reason });
  const out: number[] = [];
  let u = 0; // where the next byte of the path goes: dot segments move it back
  const put = (c: number) => {
    out[u++] = c;
  };
  /** Back over "/.." and the segment before it; false when that climbs above the root. */
  const upOneSegment = (): boolean => {
    u -= 4;
    for (;;) {
      if (u < 0) return false;
      if (out[u] === SLASH) {
        u++;
        return true;
      }
      u--;
    }
  };
  /** The path so far, with the query that starts after index `from` (up to a fragment). */
  const withArgs = (from: number) => {
    const hash = raw.indexOf('#', from);
    return { path: latin1(out, u), args: raw.slice(from, hash < 0 ? undefined : hash) };
  };
  const fragment = () => ({ path: latin1(out, u), args: '' });

  if (emptyPath) put(SLASH);
  let state: State = 'usual';
  let quotedState: State = 'usual';
  let decoded = 0;
  let p = 0;
  let ch = code(raw, p++);
  // `ch` is the character at p - 1; a decoded one is looked at again in the state it interrupted.
  while (p <= raw.length) {
    switch (state) {
      case 'usual':
        if (ch === SLASH) {
          state = 'slash';
          put(ch);
        } else if (ch === PERCENT) {
          quotedState = state;
          state = 'quoted';
        } else if (ch === QUESTION) {
          return withArgs(p);
        } else if (ch === HASH) {
          return fragment();
        } else {
          put(ch);
        }
        break;
      case 'slash':
        if (ch === SLASH) {
          // merge_slashes: "//" is "/"
        } else if (ch === DOT) {
          state = 'dot';
          put(ch);
        } else if (ch === PERCENT) {
          quotedState = state;
          state = 'quoted';
        } else if (ch === QUESTION) {
          return withArgs(p);
        } else if (ch === HASH) {
          return fragment();
        } else {
          state = 'usual';
          put(ch);
        }
        break;
      case 'dot':
        if (ch === SLASH) {
          state = 'slash'; // "/./" is "/"
          u--;
        } else if (ch === DOT) {
          state = 'dotDot';
          put(ch);
        } else if (ch === PERCENT) {
          quotedState = state;
          state = 'quoted';
        } else if (ch === QUESTION || ch === HASH) {
          u--;
          return ch === HASH ? fragment() : withArgs(p);
        } else {
          state = 'usual';
          put(ch);
        }
        break;
      case 'dotDot':
        if (ch === SLASH || ch === QUESTION || ch === HASH) {
          if (!upOneSegment()) return invalid('a ".." above the root');
          if (ch === HASH) return fragment();
          if (ch === QUESTION) return withArgs(p);
          state = 'slash';
        } else if (ch === PERCENT) {
          quotedState = state;
          state = 'quoted';
        } else {
          state = 'usual';
          put(ch);
        }
        break;
      case 'quoted':
        if (!isHex(ch)) return invalid('a "%" not followed by two hex digits');
        decoded = hexValue(ch);
        state = 'quotedSecond';
        break;
      case 'quotedSecond': {
        if (!isHex(ch)) return invalid('a "%" not followed by two hex digits');
        const c = (decoded << 4) + hexValue(ch);
        if (c === 0) return invalid('"%00" in the URI');
        if (c === PERCENT || c === HASH || c === QUESTION) {
          // Kept as a plain character: decoded once, never again; no query or fragment starts here.
          state = 'usual';
          put(c);
          break;
        }
        // Any other decoded character counts as if sent plainly: %2F is a slash, %2E a dot.
        ch = c;
        state = quotedState;
        continue;
      }
    }
    ch = code(raw, p++);
  }

  if (state === 'quoted' || state === 'quotedSecond') return invalid('a "%" not followed by two hex digits');
  if (state === 'dot') u--;
  else if (state === 'dotDot' && !upOneSegment()) return invalid('a ".." above the root');
  return { path: latin1(out, u), args: '' };
}

/** The bytes ngx_escape_uri(NGX_ESCAPE_URI) escapes: space " # % < > ? \ ^ ` { | }, controls, DEL and above. */
// eslint-disable-next-line no-control-regex -- the control bytes are among those nginx escapes
const ESCAPED = /[\x00-\x20"#%<>?\\^`{|}\x7f-\xff]/g;

/**
 * A path as NGINX writes it into the request it proxies after a rewrite (ngx_escape_uri with
 * NGX_ESCAPE_URI): what cannot stand in a URI percent-encoded, in capitals; everything else, '/'
 * included, as it is.
 */
export const escapeUri = (path: string): string =>
  path.replace(ESCAPED, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
