import { LANGUAGE_NAMES, LOCALES, type Translator } from './i18n';

/** Server-rendered HTML: small, no framework, readable on a phone. Every value is escaped. */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (value: unknown) => String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]);

/** A tagged template whose interpolations are escaped, unless they are already-built html(). */
export class Html {
  constructor(readonly text: string) {}
  toString() {
    return this.text;
  }
}
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((v, i) => {
    const part = Array.isArray(v)
      ? v.map((x) => (x instanceof Html ? x.text : esc(x))).join('')
      : v instanceof Html
        ? v.text
        : v === null || v === undefined || v === false
          ? ''
          : esc(v);
    out += part + strings[i + 1];
  });
  return new Html(out);
}

/** A modal dialog's looks: the visitors' pages' (in STYLE) and the operators' page's. */
export const DIALOG_STYLE = `dialog{border:0;border-radius:.6rem;padding:1.2rem;max-width:min(28rem,calc(100vw - 2rem));box-shadow:0 8px 32px #0005}dialog::backdrop{background:#000a}
dialog h2{margin-top:0}dialog .actions{justify-content:flex-end}`;

/**
 * The parts every visitor's page shares: one look for an error (`.alert`, with an optional `.icon`;
 * dark red on light red, 7:1), a dialog, a row of actions, a secondary button (link or button), and
 * a dangerous action's button (red: leaving the line, giving up seats; the safe choice beside it is
 * the ordinary one, and has the focus).
 */
const PARTS = `.alert{display:flex;flex-wrap:wrap;gap:.6rem;align-items:flex-start;background:#fdecea;color:#8c1d18;border:1px solid #b3261e;border-left:.4rem solid #b3261e;border-radius:.5rem;padding:.7rem 1rem;margin:.5rem 0}.alert>p,.alert>span:not(.icon){margin:0;flex:1 1 12rem}
.alert .icon{flex:none;display:inline-grid;place-items:center;width:1.4rem;height:1.4rem;border-radius:50%;background:#b3261e;color:#fff;font-weight:700}
.actions{display:flex;flex-wrap:wrap;gap:.6rem;margin:.8rem 0 0}.actions form{margin:0}
button.secondary,.button.secondary{background:#fff;color:#0a66c2;border:1px solid #0a66c2}
button.danger{background:#b3261e;color:#fff;border:1px solid #b3261e}
${DIALOG_STYLE}`;

/**
 * The header's links are 44 px touch targets (WCAG 2.5.5) on every screen: the header's own padding
 * gives way to theirs, so it is as tall as it always was (48 px). On a touch or phone-sized screen,
 * buttons are 44 px tall too.
 */
const STYLE = `body{font-family:system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa;line-height:1.4}
header{background:#141414;color:#fff;padding:.125rem 1rem}header a{color:#fff;text-decoration:none;font-weight:700;display:inline-flex;align-items:center;justify-content:center;min-height:44px;min-width:44px}
header{display:flex;justify-content:space-between;align-items:center}.lang a{font-weight:400;font-size:.9rem;padding:0 .5rem;margin-right:-.5rem}
main{max-width:52rem;margin:0 auto;padding:1rem}h1{font-size:1.5rem;margin:.5rem 0}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
h3{font-size:1rem;margin:1rem 0 .3rem}ul{list-style:none;padding:0;margin:0}li{margin:.3rem 0}
.card{background:#fff;border-radius:.5rem;padding:.8rem 1rem;margin:.5rem 0;box-shadow:0 1px 2px #0002}
.shows{display:flex;flex-wrap:wrap;gap:.4rem}.show{display:inline-block;padding:.4rem .7rem;border-radius:.4rem;border:1px solid #0a66c2;color:#0a66c2;text-decoration:none}
.show.few_left{border-color:#b35c00;color:#b35c00}.show.sold_out{border-color:#8e8e93;color:#6e6e73;text-decoration:line-through}
.alt{display:grid;padding:.5rem .8rem;background:#fff}.alt span{color:#1d1d1f}
.big{font-size:2.2rem;font-weight:700;margin:.3rem 0}button,.button{font:inherit;padding:.6rem 1.2rem;border-radius:.4rem;border:0;background:#0a66c2;color:#fff;text-decoration:none;display:inline-block;cursor:pointer}
button:disabled{opacity:.45;cursor:default}[hidden]{display:none!important}
.tag{font-size:.75rem;padding:.1rem .4rem;border-radius:.3rem;background:#eee;margin-left:.3rem}.muted{color:#666}
@media (pointer:coarse),(max-width:40rem){button,.button{padding-top:.7rem;padding-bottom:.7rem}}
${PARTS}`;

/** A visitor's page speaks their language: `i18n`, and `path` (this page, where the language switch comes back to). */
export interface PageLanguage {
  i18n: Translator;
  path: string;
}

/** Links to this page in the other languages (through /language/<locale>, which sets the cookie). */
function languageSwitch({ i18n, path }: PageLanguage): Html {
  const others = LOCALES.filter((l) => l !== i18n.locale);
  return html`<nav class="lang" aria-label="${i18n.t('layout.language')}">${others.map(
    (l) =>
      html`<a href="/language/${l}?next=${encodeURIComponent(path)}" hreflang="${l}" lang="${l}">${LANGUAGE_NAMES[l]}</a>`,
  )}</nav>`;
}

/**
 * A whole page; `head` adds to its head (a meta refresh, a script). With `language`, in the
 * visitor's language with a switch to the others (the operators' page has none: English).
 */
export function page(title: string, body: Html, head: Html = new Html(''), language?: PageLanguage): string {
  return html`<!doctype html>
<html lang="${language?.i18n.locale ?? 'en'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · premiere</title><link rel="icon" href="/favicon.ico"><style>${new Html(STYLE)}</style>${head}</head>
<body><header><a href="/" lang="en">premiere</a>${language ? languageSwitch(language) : ''}</header><main>${body}</main></body></html>
`.text;
}
