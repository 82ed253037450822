import { fewLeftAt, showAvailabilityChanged } from '@premiere/contracts';
import type { Redis, Transaction } from '@premiere/runtime';
import { rememberSeatsPerOrder, RoomScripts } from '@premiere/waiting-room';
import { seatAvailabilityKey } from './keys';

/**
 * What the catalog lists for a show as far as seats go: written to its seats' listing key
 * (seatAvailabilityKey; render-catalog shows the worse of it and the waiting room's tokens'), and
 * announced with `premiere.show.availability.changed` when it changes. The show's waiting room is
 * told, by its own script (record-seats-left.lua), when every seat is sold, so people still in
 * line learn it, how many are left to sell and how many an order takes on average: the line's
 * wait estimates count only the people ahead who can still buy (and a new sale's line starts
 * from the deployment's last count of seats per order).
 */
export async function refreshSeatAvailability(
  query: Transaction['query'],
  redis: Redis,
  emit: Transaction['emit'],
  showId: string,
): Promise<void> {
  const { rows } = await query<{ seats: number; claimed: number; sold: number; orders: number }>(
    `SELECT (SELECT count(*) FROM render_catalog.seats t JOIN render_catalog.shows s ON s.room_id = t.room_id WHERE s.id = $1)::int AS seats,
            (SELECT count(*) FROM seat_claims WHERE show_id = $1)::int AS claimed,
            (SELECT count(DISTINCT order_id) FROM seat_claims WHERE show_id = $1)::int AS orders,
            (SELECT count(*) FROM seat_claims c JOIN orders o ON o.id = c.order_id WHERE c.show_id = $1 AND o.state = 'confirmed')::int AS sold`,
    [showId],
  );
  const { seats, claimed, sold, orders } = rows[0];
  if (seats === 0) return;
  const free = seats - claimed;
  const availability = free <= 0 ? 'sold_out' : free <= fewLeftAt(seats) ? 'few_left' : 'available';
  const previous = await redis.set(seatAvailabilityKey(showId), availability, 'GET');
  const perOrder = orders > 0 ? Math.round((claimed / orders) * 100) / 100 : null;
  await RoomScripts.forShow(redis, showId).recordSeatsLeft({
    soldOut: sold >= seats,
    free: Math.max(0, free),
    perOrder,
  });
  if (perOrder !== null) await rememberSeatsPerOrder(redis, perOrder); // a new sale's line starts from it
  // Racing updates may write an older count last; the next change, or the catalog's TTL, corrects it.
  if (previous !== availability) await emit(showAvailabilityChanged.event({ showId, availability }));
}
