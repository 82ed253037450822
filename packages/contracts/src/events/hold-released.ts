import Joi from 'joi';
import { defineEvent } from '../event';
import { orderId, showId, visitorNumber } from '../ids';

/** A hold's end (the buyer gave up, or it ran out): the visit ended without an order. */
export interface HoldEnded {
  showId: string;
  visitor: number;
  orderId: string;
}

/** The data of both ends of a hold (released, expired). */
export const holdEndedData = Joi.object<HoldEnded>({ showId, visitor: visitorNumber, orderId });

/** The buyer gave up their seats; their visit ends. */
export const holdReleased = defineEvent({
  type: 'premiere.hold.released',
  data: holdEndedData,
  subject: (d) => d.orderId,
});
