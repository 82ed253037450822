import { i18n, type Translator } from '@premiere/web';
import { englishIn, keysIn } from '@premiere/testing';
import type { OrderView } from '../src/orders';
import { orderPage, seatSelectionPage } from '../src/pages';
import { ticketPage, type Ticket } from '../src/tickets';

/**
 * The protected zone's pages in both languages (issue 16): the seat map, the order and the ticket
 * have no English in Portuguese and no message key in either; prices by locale; the ticket's time
 * is the cinema's. (Their scripts' words come with them: the messages they use are in the page.)
 */
const ticket: Ticket = {
  code: 'K7M2P9QX4R',
  orderId: '00000000-0000-4000-8000-000000000001',
  showId: 'estrela-1',
  movie: 'Estrela Cadente',
  startsAt: '2027-01-10T23:00:00.000Z',
  localStartsAt: '2027-01-10 20:00',
  timeZone: 'America/Sao_Paulo',
  cinema: { name: 'Cine Paulista', address: 'Av. Paulista 900', city: 'São Paulo' },
  room: { name: 'Sala 3', roomType: 'vip' },
  seat: 'C7',
  ticketType: 'half',
  extras: { seat: 'C7', items: [{ name: 'Pipoca grande', quantity: 2 }] },
  accessibility: 'wheelchair',
};
const order: OrderView = {
  orderId: ticket.orderId,
  showId: 'estrela-1',
  movieId: 'estrela',
  state: 'refund_required',
  holdExpiresAt: '2027-01-10T21:02:00.000Z',
  currency: 'BRL',
  totalCents: 7_450,
  rejectionReason: null,
  timeZone: 'America/Sao_Paulo',
  seats: [{ seat: 'C7', ticketType: 'full', priceCents: 5_000 }],
  extras: [{ extraId: 'pipoca', name: 'Pipoca grande', quantity: 1, priceCents: 2_450 }],
  tickets: [],
  show: {
    showId: 'estrela-1',
    title: 'Estrela Cadente',
    cinemaName: 'Cine Paulista',
    city: 'São Paulo',
    roomType: 'regular',
    startsAt: Date.parse(ticket.startsAt),
    timeZone: 'America/Sao_Paulo',
  },
};
const pages = (i: Translator) => [
  seatSelectionPage(i, {
    show: {
      showId: 'estrela-1',
      title: 'Estrela Cadente',
      cinemaName: 'Cine Paulista',
      city: 'São Paulo',
      roomType: 'vip',
      startsAt: Date.parse(ticket.startsAt),
      timeZone: ticket.timeZone,
    },
    currency: 'BRL',
    prices: { full: 7_000, half: 3_500 },
    extras: [{ id: 'pipoca', name: 'Pipoca grande', priceCents: 2_450 }],
    maxSeats: 6,
  }),
  orderPage(i, ticket.orderId, order),
  ticketPage(i, ticket),
  orderPage(i, ticket.orderId, null),
];

describe('the protected zone’s pages in both languages', () => {
  it('have no English and no message key in Portuguese, and no message key in English', () => {
    for (const page of pages(i18n('pt-BR')))
      expect({ english: englishIn(page), keys: keysIn(page) }).toEqual({ english: [], keys: [] });
    for (const page of pages(i18n('en'))) expect(keysIn(page)).toEqual([]);
    expect(englishIn(pages(i18n('en'))[0])).toEqual(expect.arrayContaining(['choose', 'seats']));
  });

  it('formats prices per locale and the show’s time in the cinema’s zone', () => {
    const [pt, en] = [pages(i18n('pt-BR')), pages(i18n('en'))];
    expect(pt[0]).toContain('Pipoca grande (R$\u00a024,50)');
    expect(en[0]).toContain('Pipoca grande (R$24.50)');
    expect(pt[0]).toContain(
      '<button id="hold" type="button" aria-disabled="true" aria-describedby="hold-why">Reservar estes assentos</button>',
    );
    expect(pt[1]).toContain('>Pagar R$\u00a074,50</button>');
    expect(en[1]).toContain('>Pay R$74.50</button>');
    expect(pt[1]).toContain(
      'Cine Paulista, São Paulo · Tradicional · <time datetime="2027-01-10T23:00:00.000Z">dom., 10 de jan., 20:00</time>',
    );
    expect(pt[1]).toMatch(/1 × Pipoca grande<\/span><\/th><td class="num">R\$\u00a024,50/);
    expect(pt[2]).toContain('<time datetime="2027-01-10T23:00:00.000Z">dom., 10 de jan., 20:00</time>');
    expect(pt[2]).toContain(
      '<dt>Assento</dt><dd class="seat-label">C7</dd></div>\n<div><dt>Sessão</dt><dd>dom., 10 de jan., 20:00</dd></div>\n<div><dt>Ingresso</dt><dd>Meia-entrada</dd>',
    );
    expect(pt[2]).toContain('Cine Paulista, São Paulo · VIP');
    expect(en[2]).toContain('<time datetime="2027-01-10T23:00:00.000Z">Sun, Jan 10, 8:00 PM</time>');
    // The order's script shows the hold's end in the order's cinema's zone.
    expect(pt[1]).toContain("when(o.holdExpiresAt, 'time', o.timeZone)");
    expect(pt[1]).toContain('"order.heldUntil":"Assentos reservados até {time}"');
  });
});
