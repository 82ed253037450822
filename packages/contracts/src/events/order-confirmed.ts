import Joi from 'joi';
import { defineEvent } from '../event';
import { orderId, showId, visitorNumber } from '../ids';

export interface Ticket {
  seat: string;
  code: string;
}

/** A payment approved, the seats booked: the visitor's visit is over, their token became seats. */
export interface OrderConfirmed {
  orderId: string;
  showId: string;
  visitor: number;
  tickets: Ticket[];
}

export const orderConfirmed = defineEvent({
  type: 'premiere.order.confirmed',
  data: Joi.object<OrderConfirmed>({
    orderId,
    showId,
    visitor: visitorNumber,
    tickets: Joi.array()
      .items(Joi.object({ seat: Joi.string().required(), code: Joi.string().required() }))
      .required(),
  }),
  subject: (d) => d.orderId,
});
