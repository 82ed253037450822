import { NoAnswer, type Answer, type CrowdClient } from './client';
import type { Recorder, Visit } from './recorder';

export interface Behaviour {
  /** The show most visitors want. */
  show: string;
  /** Shares of the crowd (0–1): take an offered alternative when sold out; give up while waiting; hold seats and walk away; pay with a declined card first. */
  flexible: number;
  giveUp: number;
  letExpire: number;
  declined: number;
  /** Seats a buyer wants, at least and at most. */
  seats: [number, number];
  /** Seconds a buyer spends choosing at the seat map before holding, at least and at most (a person takes minutes; a script none). */
  think?: [number, number];
  /** Everyone only looks: enters, sees the seat map and leaves the zone at once, buying nothing (the burst's warm-up "look"). */
  look?: boolean;
}

export interface Crowd {
  client: CrowdClient;
  recorder: Recorder;
  behaviour: Behaviour;
  /** A tag of this run, so sessions never collide with an earlier run's. */
  runId: string;
  /** ms since the run's start after which every visitor stops. */
  deadline: number;
  /** The naive design: an access token for anyone, no waiting room. */
  mintAccess?: (session: string, visitor: number) => string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const chance = (share: number) => Math.random() < share;
const between = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
const retryAfterMs = (a: Answer) => (Number(a.headers['retry-after']) || 1) * 1000 * (0.5 + Math.random());
/** How many "busy" answers a buyer sits through before leaving. */
const PATIENCE = 5;
const ORDER_DONE = new Set(['confirmed', 'expired', 'cancelled', 'refund_required']);

/**
 * One visitor, behaving like a person: opens the catalog, joins the waiting room, polls as the
 * server asks, enters when admitted, looks at the seat map, holds seats, pays; some give up while
 * waiting, let their hold run out, or pay with a declined card and try again. In the naive design
 * they go straight to seat selection.
 */
export async function visitor(crowd: Crowd, n: number): Promise<void> {
  const { recorder: rec } = crowd;
  const visit: Visit = {
    arrivedAt: rec.now(),
    show: crowd.behaviour.show,
    place: null,
    firstEstimateS: null,
    estimatedAt: null,
    joinedAt: null,
    lastWaitingAt: null,
    admittedAt: null,
    admissionAt: null,
    outcome: 'pending',
    stage: 'arriving',
    seats: [],
  };
  rec.visits.push(visit);
  const session = `burst-${crowd.runId}-${String(n).padStart(8, '0')}`;
  try {
    await crowd.client.call('catalog', 'GET', '/', { headers: { accept: 'text/html' } });
    if (crowd.mintAccess) {
      visit.admittedAt = visit.admissionAt = rec.now();
      await buy(
        crowd,
        visit,
        session,
        `/checkout/${visit.show}?access=${crowd.mintAccess(session, n)}`,
        async () => undefined,
      );
    } else {
      await waitYourTurn(crowd, visit, session);
    }
  } catch (err) {
    if (!(err instanceof NoAnswer)) throw err;
    visit.outcome = 'error';
  }
}

async function waitYourTurn(crowd: Crowd, visit: Visit, session: string) {
  const { client, recorder: rec, behaviour } = crowd;
  const headers = { 'x-session-id': session };
  const join = async (show: string) => {
    for (;;) {
      const a = await client.call('join', 'POST', `/waiting-room/api/shows/${show}/join`, { headers });
      if (a.status !== 429 || rec.now() > crowd.deadline) return a;
      await sleep(retryAfterMs(a));
    }
  };
  let askedAt = rec.now(); // when the answer in hand was asked for: the line was at least this far along
  let joined = await join(visit.show);
  if (joined.status === 410) {
    rec.soldOutAnswers++;
    rec.soldOut.add(joined.ms);
    const alternative = joined.body?.alternatives?.[0]?.showId as string | undefined;
    if (alternative && chance(behaviour.flexible)) {
      visit.show = alternative;
      askedAt = rec.now();
      joined = await join(alternative);
      if (joined.status === 410) {
        rec.soldOutAnswers++;
        rec.soldOut.add(joined.ms);
      }
    }
  }
  if (joined.status === 410) return void (visit.outcome = 'sold_out');
  if (joined.status !== 200 && joined.status !== 201) return void (visit.outcome = 'error');
  let token = joined.body.token as string;
  let status = joined.body.status;
  visit.joinedAt = rec.now();
  visit.place = status.place ?? null;
  const noteEstimate = () => {
    // The first estimate: at joining, or for the pre-queue when sales open and places are drawn.
    if (visit.firstEstimateS === null && typeof status.estimatedWaitSeconds === 'number') {
      visit.firstEstimateS = status.estimatedWaitSeconds;
      visit.estimatedAt = rec.now();
    }
  };
  noteEstimate();
  const auth = () => ({ ...headers, authorization: `Bearer ${token}` });
  const leave = async () =>
    void (await client
      .call('leave', 'DELETE', `/waiting-room/api/shows/${visit.show}/token`, { headers: auth() })
      .catch(() => undefined));

  visit.stage = 'waiting';
  const givesUpAt = chance(behaviour.giveUp) ? rec.now() + between(5_000, 40_000) : Infinity;
  while (status.state === 'waiting' || status.state === 'pre_queue') {
    visit.lastWaitingAt = askedAt;
    if (rec.now() >= givesUpAt || rec.now() > crowd.deadline) {
      await leave();
      return void (visit.outcome = 'gave_up');
    }
    await sleep(Math.min(status.pollAfterMs ?? 1_000, givesUpAt - rec.now()));
    if (rec.now() >= givesUpAt) continue;
    askedAt = rec.now();
    const polled = await client.call('status', 'GET', `/waiting-room/api/shows/${visit.show}/status`, {
      headers: auth(),
    });
    if (polled.status !== 200) return void (visit.outcome = 'error');
    status = polled.body;
    if (status.token) token = status.token;
    if (visit.place === null && typeof status.place === 'number') visit.place = status.place;
    if (status.state === 'waiting') noteEstimate();
  }
  if (status.state !== 'admitted') return void (visit.outcome = status.state === 'sold_out' ? 'sold_out' : 'error');
  visit.admittedAt = rec.now();
  // Admitted between the last "wait" asked for and this answer: the middle of that, as well as polls can tell.
  visit.admissionAt = visit.lastWaitingAt === null ? rec.now() : Math.round((visit.lastWaitingAt + rec.now()) / 2);
  await buy(crowd, visit, session, status.enterUrl, leave);
}

/** Seat selection to tickets; `leave` gives the zone slot back when the visitor cannot buy. */
async function buy(crowd: Crowd, visit: Visit, session: string, entry: string, leave: () => Promise<void>) {
  const { client, recorder: rec, behaviour } = crowd;
  visit.stage = 'choosing';
  const entered = await client.call('enter', 'GET', entry, { headers: { 'x-session-id': session } });
  if (entered.status !== 200) {
    await leave();
    return void (visit.outcome = 'error');
  }
  const auth = { authorization: `Bearer ${entered.body.zoneToken}`, 'x-session-id': session };
  let order: { orderId: string } | null = null;
  let busy = 0; // "the cinema's system is busy" answers: a person tries a few times, then leaves
  for (let tries = 0; !order && rec.now() < crowd.deadline && busy < PATIENCE; tries++) {
    const map = await client.call('seatmap', 'GET', `/checkout/api/shows/${visit.show}/seats`, { headers: auth });
    if (map.status === 503) {
      busy++;
      await sleep(retryAfterMs(map));
      continue;
    }
    if (map.status !== 200) break;
    const free = (map.body.rows as { seats: { seat: string; status: string }[] }[])
      .flatMap((r) => r.seats)
      .filter((s) => s.status === 'free');
    if (free.length === 0 || tries >= 6) {
      await leave();
      return void (visit.outcome = 'no_seats');
    }
    if (behaviour.look) {
      await leave();
      return void (visit.outcome = 'gave_up');
    }
    if (tries === 0 && behaviour.think && behaviour.think[1] > 0) {
      await sleep(between(behaviour.think[0] * 1000, behaviour.think[1] * 1000));
      continue; // the map again: others held seats meanwhile
    }
    const want = Math.min(free.length, between(behaviour.seats[0], behaviour.seats[1]));
    const start = Math.floor(Math.random() * (free.length - want + 1)); // neighbours, as people choose
    const held = await client.call('hold', 'POST', `/checkout/api/shows/${visit.show}/orders`, {
      headers: auth,
      body: {
        seats: free
          .slice(start, start + want)
          .map((s) => ({ seat: s.seat, ticketType: chance(0.2) ? 'half' : 'full' })),
      },
    });
    if (held.status === 201) order = held.body;
    else if (held.status === 503) {
      busy++;
      await sleep(retryAfterMs(held));
    } else if (held.status !== 409) break;
  }
  if (!order) {
    await leave();
    return void (visit.outcome = rec.now() < crowd.deadline && busy < PATIENCE ? 'error' : 'gave_up');
  }
  if (chance(behaviour.letExpire)) return void (visit.outcome = 'let_expire');

  visit.stage = 'paying';
  for (const card of chance(behaviour.declined) ? ['tok_decline', 'tok_visa'] : ['tok_visa']) {
    let paying = await client.call('pay', 'POST', `/checkout/api/orders/${order.orderId}/payment`, {
      headers: auth,
      body: { paymentToken: card },
    });
    while (paying.status === 503 && rec.now() < crowd.deadline) {
      await sleep(retryAfterMs(paying));
      paying = await client.call('pay', 'POST', `/checkout/api/orders/${order.orderId}/payment`, {
        headers: auth,
        body: { paymentToken: card },
      });
    }
    if (paying.status !== 202) break;
    for (;;) {
      await sleep(500);
      const seen = await client.call('order', 'GET', `/checkout/api/orders/${order.orderId}`, { headers: auth });
      if (seen.status !== 200) return void (visit.outcome = 'error');
      const o = seen.body;
      if (o.state === 'confirmed') {
        visit.seats = (o.tickets as { seat: string }[]).map((t) => `${visit.show} ${t.seat}`);
        rec.sold += visit.seats.length;
        return void (visit.outcome = 'bought');
      }
      if (ORDER_DONE.has(o.state)) return void (visit.outcome = 'error');
      if (o.state === 'pending_payment') break; // refused: the next card, if any
      if (rec.now() > crowd.deadline) return void (visit.outcome = 'error');
    }
  }
  visit.outcome = 'error';
}
