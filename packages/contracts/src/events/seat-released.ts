import Joi from 'joi';
import { defineEvent } from '../event';
import { orderId, showId } from '../ids';

/** Seats free again (a hold given up or run out). */
export interface SeatReleased {
  showId: string;
  orderId: string;
  /** Labels, e.g. F12. */
  seats: string[];
}

export const seatReleased = defineEvent({
  type: 'premiere.seat.released',
  data: Joi.object<SeatReleased>({ showId, orderId, seats: Joi.array().items(Joi.string()).required() }),
  subject: (d) => d.showId,
});
