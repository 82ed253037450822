import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { Request } from '@hapi/hapi';

/**
 * The address as the per-address limits count it: an IPv4 address as it is (an IPv4-mapped IPv6
 * address as its IPv4 one); an IPv6 address by its /64, what one subscriber or site usually gets
 * (otherwise one household could take as many shares as it has addresses to spare).
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  const bare = address.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) names an interface, not a host
  if (!isIPv6(bare)) return address;
  const groupsOf = (part: string) =>
    part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])); // an embedded IPv4 address is two groups
  const [head, tail] = bare.split('::');
  const front = groupsOf(head);
  const groups =
    tail === undefined
      ? front
      : [...front, ...Array(8 - front.length - groupsOf(tail).length).fill('0'), ...groupsOf(tail)];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * The visitor's address as the edge says it (`X-Client-Address`, which the edge sets whatever a
 * client sent), keyed as above; undefined when no edge said it (a test, a tool calling a function
 * directly: the functions are reachable only through the edge).
 */
export function edgeClientAddress(request: Request): string | undefined {
  const fromEdge = request.headers['x-client-address'];
  return typeof fromEdge === 'string' && fromEdge.length > 0 && fromEdge.length <= 64
    ? addressKey(fromEdge)
    : undefined;
}

/** What a durable record keeps of an address: enough to count by, not the address itself. */
export function addressHash(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 22);
}
