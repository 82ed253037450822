import { i18n } from '@premiere/web';
import { englishIn, keysIn, addTestShow } from '@premiere/testing';
import { seatSelectionPage } from '../src/pages';
import { reserveSeatWorld } from './world';

/**
 * The seat selection page (issue 16): what the buyer sees before choosing: the show (movie,
 * cinema, city, room type, its time on the cinema's clock), the prices per ticket type from the
 * catalog, the screen, a legend in which held and taken look different, a skeleton while the map
 * loads and an error to retry with when it does not. How it behaves in a browser (the total, the
 * refresh, the focus, the touch targets) is seat-map-browser.test.ts's and local-stack/test/purchase.test.ts's.
 */
const world = reserveSeatWorld({ env: { MAX_SEATS_PER_VISIT: '4' } });
let url: string;
beforeAll(async () => {
  ({ url } = await world.start());
});

let visitors = 0;
/** The page an admitted visitor's browser gets on entering, in `language`. */
async function entryPage(showId: string, language: string): Promise<string> {
  const vid = ++visitors;
  const session = `seat-page-session-${String(vid).padStart(8, '0')}`;
  const access = world.access(showId, session, vid);
  const res = await fetch(`${url}/checkout/${showId}?access=${access}`, {
    headers: { accept: 'text/html', cookie: `premiere_session=${session}`, 'accept-language': language },
  });
  expect(res.status).toBe(200);
  return res.text();
}

describe('the seat selection page', () => {
  // Thursday 3 December 2026, 20:00 in São Paulo (23:00 UTC).
  const startsAt = new Date('2026-12-03T23:00:00Z');

  it('names the show at its top: movie, cinema, city, room type, and its time on the cinema’s clock in the visitor’s language', async () => {
    const showId = await addTestShow(world.db.url, { seats: 12, startsAt });
    const pt = await entryPage(showId, 'pt-BR');
    expect(pt).toContain('<h1 class="show-title">The Last Starfall</h1>');
    expect(pt).toContain(
      'Cine Paulista, São Paulo · Tradicional · <time datetime="2026-12-03T23:00:00.000Z">qui., 3 de dez., 20:00</time>',
    );
    expect(pt).toContain('<title>Escolha de assentos · The Last Starfall · premiere</title>');
    expect(pt).toContain('<h2>Escolha seus assentos</h2>');
    const en = await entryPage(showId, 'en');
    expect(en).toContain(
      'Cine Paulista, São Paulo · Regular · <time datetime="2026-12-03T23:00:00.000Z">Thu, Dec 3, 8:00 PM</time>',
    );
  });

  it('shows the prices per ticket type from the catalog, as the order will be priced, before anything is chosen', async () => {
    const showId = await addTestShow(world.db.url, { seats: 12, startsAt });
    await world.sql('UPDATE render_catalog.shows SET price_full_cents = 6400, price_half_cents = 3200 WHERE id = $1', [
      showId,
    ]);
    const pt = await entryPage(showId, 'pt-BR');
    expect(pt).toContain('<li>Inteira <strong>R$\u00a064,00</strong></li>');
    expect(pt).toContain('<li>Meia-entrada <strong>R$\u00a032,00</strong></li>');
    // The script's running total counts with the same prices (and the cinema's extras').
    expect(pt).toContain('var PRICES = {"full":6400,"half":3200}, CURRENCY = "BRL"');
    expect(pt).toContain('"paulista-popcorn":{"name":"Pipoca grande","priceCents":2800}');
    expect(pt).toContain(
      '<p class="total" aria-live="polite" aria-atomic="true">Total: <strong id="total">R$\u00a00,00</strong></p>',
    );
    const en = await entryPage(showId, 'en');
    expect(en).toContain('<li>Full price <strong>R$64.00</strong></li>');
    // The visit's limit said up front.
    expect(en).toContain('You may choose up to 4 seats on this visit.');
  });

  it('draws the screen, a legend where held and taken differ, a skeleton while loading and an error to retry with', async () => {
    const showId = await addTestShow(world.db.url, { seats: 12, startsAt });
    const pt = await entryPage(showId, 'pt-BR');
    expect(pt).toContain('<div class="screen" aria-hidden="true"><span>TELA</span></div>');
    for (const [kind, words] of [
      ['free', 'Livre'],
      ['chosen', 'Sua escolha'],
      ['held', 'Reservado (pode ser liberado)'],
      ['taken', 'Vendido'],
    ]) {
      expect(pt).toContain(`<li><span class="swatch ${kind}" aria-hidden="true"></span>${words}</li>`);
    }
    expect(pt).toMatch(/<div id="map" aria-busy="true">\s*<div class="skeleton" aria-hidden="true">/);
    expect(pt).toContain('<div id="load-error" class="alert" role="alert" hidden>');
    expect(pt).toContain('<button type="button" id="retry" class="secondary">Tentar de novo</button>');
    const en = await entryPage(showId, 'en');
    expect(en).toContain('<div class="screen" aria-hidden="true"><span>SCREEN</span></div>');
  });
});

describe('the page’s styles and script', () => {
  const render = (locale: 'pt-BR' | 'en' = 'pt-BR') =>
    seatSelectionPage(i18n(locale), {
      show: {
        showId: 'estrela-1',
        title: 'Estrela Cadente',
        cinemaName: 'Cine Paulista',
        city: 'São Paulo',
        roomType: 'vip',
        startsAt: Date.parse('2027-01-10T23:00:00Z'),
        timeZone: 'America/Sao_Paulo',
      },
      currency: 'BRL',
      prices: { full: 7000, half: 3500 },
      extras: [],
      maxSeats: 6,
    });

  it('says, without JavaScript, that choosing seats needs it (instead of a map that loads forever)', () => {
    expect(render()).toMatch(
      new RegExp(`<noscript><p class="alert"[^>]*>${i18n('pt-BR').t('seats.needsScript')}</p></noscript>`),
    );
  });

  it('has the show and its prices in either language, with no English in Portuguese', () => {
    const [pt, en] = [render(), render('en')];
    expect(pt).toContain('<strong>R$\u00a070,00</strong>');
    expect(en).toContain('<strong>R$35.00</strong>');
    expect(pt).toContain('<time datetime="2027-01-10T23:00:00.000Z">dom., 10 de jan., 20:00</time>');
    expect({ english: englishIn(pt), keys: keysIn(pt) }).toEqual({ english: [], keys: [] });
    expect(keysIn(en)).toEqual([]);
  });

  it('held and taken seats look different by more than colour, and a phone gets 44 px seats that scroll sideways', () => {
    const page = render();
    expect(page).toMatch(/\.seat\.held,\.swatch\.held\{[^}]*repeating-linear-gradient[^}]*dashed/);
    expect(page).toMatch(/\.seat\.taken::after,\.swatch\.taken::after\{content:"✕"/);
    expect(page).toMatch(/@media \(pointer:coarse\),\(max-width:40rem\)\{\.mapwrap\{--seat:44px/);
    expect(page).toContain('overflow-x:auto;overscroll-behavior-x:contain');
    expect(page).toMatch(/\.seat:focus-visible\{outline:3px solid/);
  });

  // (That the map refreshes, and keeps the focus when it does: seat-map-browser.test.ts, in a browser.)
  it('has the words to name every seat by row, number and state, to say the limit and the seats lost', () => {
    const page = render();
    expect(page).toContain('"seats.seat.free":"Fileira {row}, assento {number}, livre"');
    expect(page).toContain("setAttribute('aria-pressed'");
    expect(page).toContain('"seats.limitReached"');
    expect(page).toContain('"seats.lost"');
  });
});
