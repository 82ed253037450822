import { CATALOGS, LOCALES, type MessageKey } from '@premiere/web';

/**
 * For tests of pages in a language: what a visitor reads of a page (its text, the attributes a
 * browser shows or says, and the messages its scripts embed), and what of it is not in the page's
 * language.
 */

/** English words no Portuguese page shows (none is a Portuguese word too, nor in the test data). */
export const ENGLISH_WORDS = [
  'the',
  'your',
  'you',
  'seats',
  'seat',
  'line',
  'join',
  'leave',
  'choose',
  'hold',
  'held',
  'pay',
  'order',
  'ticket',
  'tickets',
  'show',
  'shows',
  'wait',
  'waiting',
  'sold',
  'ahead',
  'again',
  'back',
  'price',
  'full',
  'half',
  'minutes',
  'minute',
  'hour',
  'sales',
  'not',
  'found',
  'this',
  'please',
  'something',
  'wrong',
  'now',
  'coming',
  'soon',
  'since',
  'premieres',
  'rated',
  'what',
  'with',
  'left',
  'give',
  'confirmed',
  'payment',
  'card',
  'next',
  'people',
  'person',
  'estimated',
  'room',
  'keep',
  'page',
  'turn',
  'tickets',
  'busy',
  'try',
  'language',
];

/** The text a visitor meets on `page`: without the language switch (each language's own name), scripts and styles, but with their messages. */
export function visibleText(page: string): string {
  const messages = [...page.matchAll(/MESSAGES = (\{.*?\});\n/g)].flatMap(
    (m) =>
      Object.values(JSON.parse(m[1]) as Record<string, string | Record<string, string>>)
        .flatMap((v) => (typeof v === 'string' ? [v] : Object.values(v)))
        .map((v) => v.replace(/\{\w+\}/g, ' ')), // parameters' names are not read
  );
  const attributes = [...page.matchAll(/\s(?:title|aria-label|alt|placeholder)="([^"]*)"/g)].map((m) => m[1]);
  const text = page
    .replace(/<nav class="lang"[\s\S]*?<\/nav>/g, ' ')
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<style[\s\S]*?<\/style>/g, ' ')
    .replace(/<[^>]*>/g, ' ');
  return [text, ...attributes, ...messages]
    .join('\n')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}

/** English words in a page meant to be Portuguese. */
export function englishIn(page: string): string[] {
  const words = new Set(
    visibleText(page)
      .toLowerCase()
      .match(/[a-z']+/g) ?? [],
  );
  return ENGLISH_WORDS.filter((w) => words.has(w));
}

/** Message keys (of any catalog) that show as such: a message that was never looked up. */
export function keysIn(page: string): string[] {
  const keys = new Set<string>(LOCALES.flatMap((l) => Object.keys(CATALOGS[l])));
  const text = visibleText(page);
  return [...keys].filter((k) => text.includes(k)) as MessageKey[];
}
