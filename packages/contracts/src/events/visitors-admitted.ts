import Joi from 'joi';
import { defineEvent } from '../event';
import { isoTime, showId } from '../ids';

const place = Joi.number().integer().allow(null).required();

/** An admission pass let `count` visitors in (already done in Redis: it announces, it does not command). */
export interface VisitorsAdmitted {
  showId: string;
  count: number;
  /** The range of places admitted, in line order (places of people who left are skipped). */
  firstPlace: number | null;
  lastPlace: number | null;
  admittedAt: string;
}

export const visitorsAdmitted = defineEvent({
  type: 'premiere.visitors.admitted',
  data: Joi.object<VisitorsAdmitted>({
    showId,
    count: Joi.number().integer().min(1).required(),
    firstPlace: place,
    lastPlace: place,
    admittedAt: isoTime,
  }),
  subject: (d) => d.showId,
});
