import { i18n, type Translator } from '@premiere/runtime';
import { englishIn, keysIn } from '@premiere/runtime/testing';
import { orderPage, seatSelectionPage } from '../src/pages';
import { ticketPage, type Ticket } from '../src/tickets';

/**
 * The protected zone's pages in both languages (issue 16): the seat map, the order and the ticket
 * have no English in Portuguese and no message key in either; prices by locale; the ticket's time
 * is the cinema's. (Their scripts' words come with them: the messages they use are in the page.)
 */
const ticket: Ticket = {
  code: 'K7M2P9QX4R', orderId: '00000000-0000-4000-8000-000000000001', showId: 'estrela-1', movie: 'Estrela Cadente',
  startsAt: '2027-01-10T23:00:00.000Z', localStartsAt: '2027-01-10 20:00', timeZone: 'America/Sao_Paulo',
  cinema: { name: 'Cine Paulista', address: 'Av. Paulista 900', city: 'São Paulo' }, room: { name: 'Sala 3', roomType: 'vip' }, seat: 'C7', ticketType: 'half',
};
const pages = (i: Translator) => [
  seatSelectionPage(i, {
    show: { showId: 'estrela-1', title: 'Estrela Cadente', cinemaName: 'Cine Paulista', city: 'São Paulo', roomType: 'vip', startsAt: Date.parse(ticket.startsAt), timeZone: ticket.timeZone },
    currency: 'BRL', prices: { full: 7_000, half: 3_500 }, extras: [{ id: 'pipoca', name: 'Pipoca grande', priceCents: 2_450 }], maxSeats: 6,
  }),
  orderPage(i, ticket.orderId),
  ticketPage(i, ticket),
];

describe('the protected zone’s pages in both languages', () => {
  it('have no English and no message key in Portuguese, and no message key in English', () => {
    for (const page of pages(i18n('pt-BR'))) expect({ english: englishIn(page), keys: keysIn(page) }).toEqual({ english: [], keys: [] });
    for (const page of pages(i18n('en'))) expect(keysIn(page)).toEqual([]);
    expect(englishIn(pages(i18n('en'))[0])).toEqual(expect.arrayContaining(['choose', 'seats']));
  });

  it('formats prices per locale and the show’s time in the cinema’s zone', () => {
    const [pt, en] = [pages(i18n('pt-BR')), pages(i18n('en'))];
    expect(pt[0]).toContain('Pipoca grande (R$\u00a024,50)');
    expect(en[0]).toContain('Pipoca grande (R$24.50)');
    expect(pt[0]).toContain('<button id="hold" disabled>Reservar estes assentos</button>');
    expect(pt[1]).toContain('<button>Pagar</button>');
    expect(pt[2]).toContain('<strong>dom., 10 de jan., 20:00</strong>');
    expect(pt[2]).toContain('Assento <strong class="seat-label">C7</strong> · Meia-entrada');
    expect(pt[2]).toContain('Cine Paulista, Sala 3 (VIP)');
    expect(en[2]).toContain('<strong>Sun, Jan 10, 08:00 PM</strong>');
    // The order's script shows the hold's end in the order's cinema's zone.
    expect(pt[1]).toContain("when(o.holdExpiresAt, 'time', o.timeZone)");
    expect(pt[1]).toContain('"order.heldUntil":"Assentos reservados até {time}"');
  });
});
