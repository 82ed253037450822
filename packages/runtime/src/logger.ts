import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const REDACTED = '[REDACTED]';

// Keys whose values never reach a log line, compared lower-case without "-" and "_", by suffix:
// "queueToken", "x-api-key", "DATABASE_PASSWORD", "paymentMethod" all match.
const SENSITIVE_SUFFIXES = [
  'password',
  'passwd',
  'secret',
  'token',
  'apikey',
  'authorization',
  'cookie',
  'signingkey',
  'signingkeys',
  'paymentmethod',
  'cardnumber',
  'cvc',
  'cvv',
  'iban',
];
const SENSITIVE_EXACT = new Set(['pan', 'card', 'key', 'keys', 'pin']);

export function isSensitiveKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_]/g, '');
  return SENSITIVE_EXACT.has(k) || SENSITIVE_SUFFIXES.some((s) => k.endsWith(s));
}

/** Whether a run of 13-19 digits passes the Luhn check, as every card number does. */
function looksLikeCardNumber(candidate: string): boolean {
  const digits = candidate.replace(/[ -]/g, '');
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

const UUID_OR_CARD = /\b([0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})\b|\b(?:\d[ -]?){12,18}\d\b/gi;

/** Credentials inside free text: URL user-info, bearer tokens, and card numbers. */
export function scrubText(text: string): string {
  // Cheap checks first: most log strings (ids, paths, names) contain none of these.
  if (text.includes('//')) text = text.replace(/(\/\/[^/\s:@]+):[^@\s/]*@/g, `$1:${REDACTED}@`);
  if (/bearer|basic/i.test(text)) text = text.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`);
  if (text.length >= 13 && /\d{4}/.test(text)) {
    // UUIDs are matched whole first, so that their all-digit groups are never taken for a card.
    text = text.replace(UUID_OR_CARD, (m, uuid) => (uuid === undefined && looksLikeCardNumber(m) ? REDACTED : m));
  }
  return text;
}

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return redact(pino.stdSerializers.err(value), depth);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSensitiveKey(k) ? REDACTED : redact(v, depth + 1);
  return out;
}

export function createLogger(
  options: { name: string; level?: string },
  destination: DestinationStream = pino.destination({ dest: 1, sync: false }),
): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { fn: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: (obj) => redact(obj) as Record<string, unknown> },
      serializers: { err: (e: Error) => redact(pino.stdSerializers.err(e)) },
      hooks: {
        logMethod(args, method) {
          // The message itself may carry a URL or header pasted from an error.
          const [first, ...rest] = args as unknown[];
          if (typeof first === 'string')
            return method.apply(this, [scrubText(first), ...rest] as Parameters<typeof method>);
          if (typeof rest[0] === 'string') rest[0] = scrubText(rest[0]);
          return method.apply(this, [first, ...rest] as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}
