import pg from 'pg';

/**
 * The demo catalog `npm start` loads: three cinemas in two cities, regular / IMAX / VIP rooms with
 * seat maps, movies now showing, one premiere and one coming soon, and shows over the next three
 * days, including the premiere in a small room (24 seats) so that sold out is easy to see.
 * Loading it again changes nothing (rows are keyed by id) but the words a visitor reads (room and
 * extra names, synopses) and which seats are accessible, so that a database kept from an older
 * demo shows today's.
 */
export const PREMIERE_SHOW_ID = 'last-starfall-premiere';

interface Room {
  id: string;
  cinema: string;
  name: string;
  type: 'regular' | 'imax' | 'vip';
  rows: number;
  perRow: number;
  aisleAfter?: number;
}

const cinemas = [
  { id: 'paulista', name: 'Cine Paulista', city: 'São Paulo', address: 'Av. Paulista 1000' },
  { id: 'pinheiros', name: 'Cine Pinheiros', city: 'São Paulo', address: 'Rua dos Pinheiros 500' },
  { id: 'copacabana', name: 'Cine Copacabana', city: 'Rio de Janeiro', address: 'Av. Atlântica 2000' },
];

const rooms: Room[] = [
  { id: 'paulista-1', cinema: 'paulista', name: 'Sala 1', type: 'regular', rows: 10, perRow: 14, aisleAfter: 7 },
  { id: 'paulista-imax', cinema: 'paulista', name: 'Sala IMAX', type: 'imax', rows: 14, perRow: 20, aisleAfter: 10 },
  { id: 'paulista-vip', cinema: 'paulista', name: 'Sala VIP', type: 'vip', rows: 4, perRow: 6, aisleAfter: 3 },
  { id: 'pinheiros-1', cinema: 'pinheiros', name: 'Sala 1', type: 'regular', rows: 8, perRow: 12, aisleAfter: 6 },
  { id: 'pinheiros-vip', cinema: 'pinheiros', name: 'Sala VIP', type: 'vip', rows: 5, perRow: 8, aisleAfter: 4 },
  { id: 'copacabana-1', cinema: 'copacabana', name: 'Sala 1', type: 'regular', rows: 10, perRow: 16, aisleAfter: 8 },
  { id: 'copacabana-imax', cinema: 'copacabana', name: 'Sala IMAX', type: 'imax', rows: 12, perRow: 18, aisleAfter: 9 },
];

const movies = [
  {
    id: 'last-starfall',
    title: 'The Last Starfall',
    synopsis: 'O capítulo final da saga que todo mundo esperou anos para ver.',
    minutes: 158,
    rating: '12',
    status: 'premiere',
    releaseInDays: 1,
  },
  {
    id: 'harbor-lights',
    title: 'Harbor Lights',
    synopsis: 'Um faroleiro encontra uma mensagem que não deveria existir.',
    minutes: 112,
    rating: '10',
    status: 'now_showing',
    releaseInDays: -14,
  },
  {
    id: 'paper-kingdoms',
    title: 'Paper Kingdoms',
    synopsis: 'Uma aventura animada que se desdobra dos desenhos de uma criança.',
    minutes: 95,
    rating: 'L',
    status: 'now_showing',
    releaseInDays: -7,
  },
  {
    id: 'midnight-tram',
    title: 'Midnight Tram',
    synopsis: 'Seis desconhecidos, o último bonde da noite e uma cidade que não dorme.',
    minutes: 124,
    rating: '16',
    status: 'now_showing',
    releaseInDays: -21,
  },
  {
    id: 'echoes-of-titan',
    title: 'Echoes of Titan',
    synopsis: 'A primeira missão tripulada à maior lua de Saturno para de responder.',
    minutes: 141,
    rating: '14',
    status: 'coming_soon',
    releaseInDays: 30,
  },
] as const;

const PRICES = { regular: [3200, 1600], imax: [4800, 2400], vip: [7000, 3500] } as const;
const SHOW_HOURS_UTC = [17, 20, 23];
const ROW_LABELS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

type Accessibility = 'wheelchair' | 'companion' | 'reduced_mobility';

/**
 * Where a room's accessible places are, roughly as ABNT NBR 9050 sizes them: 2 % of the seats
 * (at least one) are wheelchair spaces, in the back row from its ends inwards, each with a
 * companion's seat beside it; 1 % (at least one) are for reduced mobility, on the aisle of the row
 * in front (or at its ends).
 */
function accessibilityOf(room: Room, row: number, n: number): Accessibility | null {
  const seats = room.rows * room.perRow;
  const wheelchairs = Math.max(1, Math.ceil(seats * 0.02));
  const reduced = Math.max(1, Math.ceil(seats * 0.01));
  if (row === room.rows - 1) {
    // Pair k: from the left for even k, from the right for odd k; the space outermost.
    const fromEdge = Math.min(n - 1, room.perRow - n);
    const pair = Math.floor(fromEdge / 2) * 2 + (n - 1 <= room.perRow - n ? 0 : 1);
    if (pair < wheelchairs) return fromEdge % 2 === 0 ? 'wheelchair' : 'companion';
    return null;
  }
  if (row === room.rows - 2) {
    const aisle = room.aisleAfter ? [room.aisleAfter, room.aisleAfter + 1] : [];
    const order = [...aisle, 1, room.perRow].filter((x, i, all) => all.indexOf(x) === i);
    return order.slice(0, reduced).includes(n) ? 'reduced_mobility' : null;
  }
  return null;
}

function seatsOf(room: Room) {
  const seats = [];
  for (let r = 0; r < room.rows; r++) {
    for (let n = 1; n <= room.perRow; n++) {
      const col = n + (room.aisleAfter && n > room.aisleAfter ? 1 : 0);
      seats.push({
        seat: `${ROW_LABELS[r]}${n}`,
        row: ROW_LABELS[r],
        number: n,
        col,
        accessibility: accessibilityOf(room, r, n),
      });
    }
  }
  return seats;
}

function dayAt(now: Date, days: number, hourUtc: number): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + days, hourUtc));
}

export function demoShows(now = new Date(), salesOpenInMs = 10 * 60_000) {
  const shows: { id: string; movie: string; room: Room; startsAt: Date; salesOpenAt: Date | null }[] = [];
  const nowShowing = movies.filter((m) => m.status === 'now_showing');
  const regularRooms = rooms.filter((r) => r.type !== 'vip' || r.id === 'pinheiros-vip');
  for (let day = 0; day < 3; day++) {
    regularRooms.forEach((room, i) => {
      SHOW_HOURS_UTC.forEach((hour, j) => {
        const movie = nowShowing[(i + j + day) % nowShowing.length];
        shows.push({
          id: `${movie.id}-${room.id}-d${day}-${hour}h`,
          movie: movie.id,
          room,
          startsAt: dayAt(now, day, hour),
          salesOpenAt: null,
        });
      });
    });
  }
  const room = (id: string) => rooms.find((r) => r.id === id)!;
  // The premiere: on sale now in a 24-seat room; its IMAX shows open sales in ten minutes (pre-queue;
  // DEMO_SALES_OPEN_SECONDS).
  shows.push({
    id: PREMIERE_SHOW_ID,
    movie: 'last-starfall',
    room: room('paulista-vip'),
    startsAt: dayAt(now, 1, 23),
    salesOpenAt: null,
  });
  const opens = new Date(now.getTime() + salesOpenInMs);
  shows.push({
    id: 'last-starfall-paulista-imax-d1',
    movie: 'last-starfall',
    room: room('paulista-imax'),
    startsAt: dayAt(now, 1, 22),
    salesOpenAt: opens,
  });
  shows.push({
    id: 'last-starfall-copacabana-imax-d1',
    movie: 'last-starfall',
    room: room('copacabana-imax'),
    startsAt: dayAt(now, 1, 22),
    salesOpenAt: opens,
  });
  return shows;
}

export async function loadDemoCatalog(
  databaseUrl: string,
  now = new Date(),
  salesOpenInMs?: number,
): Promise<{ shows: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL search_path TO render_catalog');
    for (const c of cinemas) {
      await client.query(
        'INSERT INTO cinemas (id, name, city, address) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING',
        [c.id, c.name, c.city, c.address],
      );
      await client.query(
        `INSERT INTO extras (id, cinema_id, name, price_cents) VALUES
           ($1 || '-popcorn', $1, 'Pipoca grande', 2800), ($1 || '-soda', $1, 'Refrigerante 500 ml', 1200),
           ($1 || '-combo', $1, 'Combo pipoca + 2 refrigerantes', 4500)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name`,
        [c.id],
      );
    }
    for (const r of rooms) {
      await client.query(
        'INSERT INTO rooms (id, cinema_id, name, room_type) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name',
        [r.id, r.cinema, r.name, r.type],
      );
      const seats = seatsOf(r);
      await client.query(
        `INSERT INTO seats (room_id, seat, row_label, number, col, accessibility)
           SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[], $5::int[], $6::text[])
         ON CONFLICT (room_id, seat) DO UPDATE SET accessibility = EXCLUDED.accessibility`,
        [
          r.id,
          seats.map((s) => s.seat),
          seats.map((s) => s.row),
          seats.map((s) => s.number),
          seats.map((s) => s.col),
          seats.map((s) => s.accessibility),
        ],
      );
    }
    for (const m of movies) {
      await client.query(
        `INSERT INTO movies (id, title, synopsis, duration_minutes, rating, release_date, status)
           VALUES ($1, $2, $3, $4, $5, (now() + $6 * interval '1 day')::date, $7) ON CONFLICT (id) DO UPDATE SET synopsis = EXCLUDED.synopsis`,
        [m.id, m.title, m.synopsis, m.minutes, m.rating, m.releaseInDays, m.status],
      );
    }
    const shows = demoShows(now, salesOpenInMs);
    for (const s of shows) {
      const [full, half] = PRICES[s.room.type];
      await client.query(
        `INSERT INTO shows (id, movie_id, room_id, starts_at, sales_open_at, price_full_cents, price_half_cents)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
        [s.id, s.movie, s.room.id, s.startsAt, s.salesOpenAt, full, half],
      );
    }
    await client.query('COMMIT');
    return { shows: shows.length };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}
