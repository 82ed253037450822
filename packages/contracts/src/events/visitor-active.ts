import Joi from 'joi';
import { defineEvent } from '../event';
import { isoTime, showId, visitorNumber } from '../ids';

/** reserve-seat's promise that the visitor is still there: keep their zone slot until `until`. */
export interface VisitorActive {
  showId: string;
  visitor: number;
  until: string;
}

export const visitorActive = defineEvent({
  type: 'premiere.visitor.active',
  data: Joi.object<VisitorActive>({ showId, visitor: visitorNumber, until: isoTime }),
  subject: (d) => d.showId,
});
