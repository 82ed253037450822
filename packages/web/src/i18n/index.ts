import type { Request } from '@hapi/hapi';
import { Html } from '../html';
import type { Catalog, MessageKey, Plural } from './catalog';
import { en } from './en';
import { ptBR } from './pt-BR';

export type { Catalog, MessageKey, Plural } from './catalog';

/**
 * The visitor's language: Portuguese (Brazil) first, English too. Chosen by the language cookie
 * (the switch on every page sets it), else by Accept-Language, else Portuguese. Messages have
 * named parameters and plurals by Intl.PluralRules; numbers, money and times are formatted by Intl,
 * times always in the cinema's time zone (the server's and the browser's own zones never show).
 */
export const LOCALES = ['pt-BR', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'pt-BR';
/** The switch's cookie; the edge's cache key carries it (helm/premiere/templates/edge-config.yaml). */
export const LANGUAGE_COOKIE = 'premiere_lang';
/** Each language by its own name, as a language switch shows it. */
export const LANGUAGE_NAMES: Record<Locale, string> = { 'pt-BR': 'Português', en: 'English' };

export const CATALOGS: Record<Locale, Catalog> = { 'pt-BR': ptBR, en };

const isLocale = (value: unknown): value is Locale =>
  typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
/** A language tag's primary subtag, to ours: any Portuguese reads pt-BR, any English en. */
const BY_LANGUAGE: Record<string, Locale> = { pt: 'pt-BR', en: 'en' };

/** The language for a cookie value and an Accept-Language header (RFC 9110: by q, then order; q=0 excluded; a q that is no qvalue, such as 1.5, is ignored). */
export function negotiate(cookie: unknown, acceptLanguage: string | undefined): Locale {
  if (isLocale(cookie)) return cookie;
  if (!acceptLanguage) return DEFAULT_LOCALE;
  let best: Locale | null = null;
  let bestQ = 0;
  for (const part of acceptLanguage.split(',', 32)) {
    const [tag, ...params] = part.trim().split(';');
    const q = params
      .map((p) => /^\s*q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\s*$/.exec(p)?.[1])
      .find((v) => v !== undefined);
    const weight = q === undefined ? 1 : Number(q);
    const locale = BY_LANGUAGE[tag.trim().toLowerCase().split('-')[0]];
    if (locale && weight > bestQ) {
      best = locale;
      bestQ = weight;
    }
  }
  return best ?? DEFAULT_LOCALE;
}

/**
 * The language cookie read exactly as the edge reads it for its cache key (NGINX's
 * $cookie_premiere_lang, ngx_http_parse_multi_header_lines): a cookie starts at the header's start
 * or after ";" or "," and the spaces (not tabs) that follow; the first whose name matches in any
 * case, spaces allowed before "=", gives its value from after "=" and its spaces up to the next
 * ";", untrimmed. Read any other way (hapi makes a repeated cookie an array; a split at ";" alone
 * sees `a=b, premiere_lang=en` as no language cookie), a visitor could have a page in one language
 * cached under another's key, for every visitor after them.
 */
export function languageCookie(cookieHeader: string | undefined): string | undefined {
  const header = cookieHeader ?? '';
  const name = LANGUAGE_COOKIE.toLowerCase();
  let at = 0;
  while (at < header.length) {
    if (header.slice(at, at + name.length).toLowerCase() === name) {
      let i = at + name.length;
      while (header[i] === ' ') i++;
      if (header[i] === '=') {
        i++;
        while (header[i] === ' ') i++;
        const end = header.indexOf(';', i);
        return header.slice(i, end < 0 ? header.length : end);
      }
    }
    // Not it: on past the next ";" or ",", and the spaces after it.
    while (at < header.length) {
      const ch = header[at++];
      if (ch === ';' || ch === ',') break;
    }
    while (header[at] === ' ') at++;
  }
  return undefined;
}

/** The request's language (see negotiate). */
export function localeOf(request: Request): Locale {
  const cookie = request.headers.cookie;
  const accept = request.headers['accept-language'];
  return negotiate(
    languageCookie(typeof cookie === 'string' ? cookie : undefined),
    typeof accept === 'string' ? accept : undefined,
  );
}

export type Params = Record<string, string | number>;

const pluralRules = new Map<Locale, Intl.PluralRules>();
const numberFormats = new Map<string, Intl.NumberFormat>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function numberFormat(locale: Locale, currency?: string): Intl.NumberFormat {
  const key = `${locale}|${currency ?? ''}`;
  let f = numberFormats.get(key);
  if (!f) numberFormats.set(key, (f = new Intl.NumberFormat(locale, currency ? { style: 'currency', currency } : {})));
  return f;
}

/**
 * How each kind of moment is written (the zone is added per call), as Brazil writes the hour: two
 * digits on a 24-hour clock. Each language's own way of writing the hour is `dateStyles(locale)`'s.
 */
export const DATE_STYLES = {
  /** "qui., 3 de dez., 20:00" / "Thu, Dec 3, 8:00 PM" */
  dateTime: { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' },
  /** "qui., 3 de dez." */
  day: { weekday: 'short', day: 'numeric', month: 'short' },
  /** "09:00" / "9:00 AM" */
  time: { hour: '2-digit', minute: '2-digit' },
  /** To the second, for "updated at": "20:00:05" / "8:00:05 PM" */
  clock: { hour: '2-digit', minute: '2-digit', second: '2-digit' },
  /** A calendar date: "3 de dez. de 2026" */
  date: { day: 'numeric', month: 'short', year: 'numeric' },
} as const satisfies Record<string, Intl.DateTimeFormatOptions>;
export type DateStyle = keyof typeof DATE_STYLES;

/** The hour as each language writes it: "09:00" in Brazil; "9:00 AM" in English, never "09:00 AM". */
const HOUR: Record<Locale, 'numeric' | '2-digit'> = { 'pt-BR': '2-digit', en: 'numeric' };

/** DATE_STYLES as `locale` writes them (what the server's `when` and a page script's use). */
export function dateStyles(locale: Locale): Record<DateStyle, Intl.DateTimeFormatOptions> {
  return Object.fromEntries(
    Object.entries(DATE_STYLES).map(([style, options]) => [
      style,
      'hour' in options ? { ...options, hour: HOUR[locale] } : options,
    ]),
  ) as Record<DateStyle, Intl.DateTimeFormatOptions>;
}

function dateFormat(locale: Locale, style: DateStyle, timeZone: string): Intl.DateTimeFormat {
  const key = `${locale}|${style}|${timeZone}`;
  let f = dateFormats.get(key);
  if (!f) {
    if (dateFormats.size > 1_000) dateFormats.clear();
    dateFormats.set(key, (f = new Intl.DateTimeFormat(locale, { ...dateStyles(locale)[style], timeZone })));
  }
  return f;
}

/** A message's text: its plural form for `params.count`, its parameters filled in (numbers formatted). */
export function translate(locale: Locale, key: MessageKey, params: Params = {}): string {
  const message: string | Plural = CATALOGS[locale][key];
  let text: string;
  if (typeof message === 'string') text = message;
  else {
    let rules = pluralRules.get(locale);
    if (!rules) pluralRules.set(locale, (rules = new Intl.PluralRules(locale)));
    text = message[rules.select(Number(params.count ?? 0))] ?? message.other;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? numberFormat(locale, undefined).format(value) : value;
  });
}

/** What a page needs to speak the visitor's language. */
export interface Translator {
  readonly locale: Locale;
  t(key: MessageKey, params?: Params): string;
  /** A number as the language writes it: "1.234" / "1,234" (a message's numeric parameters are already). */
  number(n: number): string;
  /** An amount in cents: "R$ 70,00". */
  money(cents: number, currency: string): string;
  /** A moment in the cinema's time zone (`when`: an ISO time or epoch milliseconds). */
  when(when: string | number | Date, timeZone: string, style?: Exclude<DateStyle, 'date'>): string;
  /** A calendar date ("2026-12-03"), which has no zone. */
  date(isoDate: string): string;
}

const translators = new Map<Locale, Translator>();
export function i18n(locale: Locale): Translator {
  let found = translators.get(locale);
  if (!found) {
    found = {
      locale,
      t: (key, params) => translate(locale, key, params),
      number: (n) => numberFormat(locale).format(n),
      money: (cents, currency) => numberFormat(locale, currency).format(cents / 100),
      when: (when, timeZone, style = 'dateTime') => dateFormat(locale, style, timeZone).format(new Date(when)),
      date: (isoDate) => dateFormat(locale, 'date', 'UTC').format(new Date(`${isoDate.slice(0, 10)}T12:00:00Z`)),
    };
    translators.set(locale, found);
  }
  return found;
}

/** The keys a page script uses: its `t('…')` calls. */
export const scriptKeys = (code: string): MessageKey[] => [
  ...new Set([...code.matchAll(/\bt\('([^']+)'/g)].map((m) => m[1] as MessageKey)),
];

/**
 * A page script that speaks the page's language: before `code` run, `t(key, params)` (with the
 * messages `code` uses, and plurals), `money(cents, currency)` and `when(iso, style, zone)` (in
 * `zone` or `timeZone`, the cinema's, never the browser's) are defined, as the server's are.
 */
export function clientScript(i: Translator, timeZone: string | null, code: string): Html {
  const messages = Object.fromEntries(scriptKeys(code).map((k) => [k, CATALOGS[i.locale][k]]));
  const json = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');
  return new Html(`<script>
var LOCALE = ${json(i.locale)}, TIME_ZONE = ${json(timeZone)}, MESSAGES = ${json(messages)};
function t(key, params) {
  var m = MESSAGES[key], p = params || {};
  if (m == null) return '';
  if (typeof m !== 'string') m = m[new Intl.PluralRules(LOCALE).select(Number(p.count || 0))] || m.other;
  return m.replace(/\\{(\\w+)\\}/g, function (whole, name) { var v = p[name]; return v == null ? whole : typeof v === 'number' ? new Intl.NumberFormat(LOCALE).format(v) : String(v); });
}
function money(cents, currency) { return new Intl.NumberFormat(LOCALE, { style: 'currency', currency: currency }).format(cents / 100); }
var DATE_STYLES = ${json(dateStyles(i.locale))};
function when(iso, style, zone) { var o = Object.assign({}, DATE_STYLES[style || 'dateTime']); if (zone || TIME_ZONE) o.timeZone = zone || TIME_ZONE; return new Intl.DateTimeFormat(LOCALE, o).format(new Date(iso)); }
${code}
</script>`);
}

/**
 * The Vary of a page in the visitor's language, for browsers (a switch must not find the old
 * language in their cache). The chart's edge keys its cache on the same two instead of honouring
 * Vary: Cookie would split it by session (edge-config.yaml).
 */
export const VARY_LANGUAGE = 'Accept-Language, Cookie';
