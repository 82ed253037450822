import Joi from 'joi';
import { defineEvent } from '../event';
import { showId } from '../ids';

/** A nudge (not through the outbox): someone may be waiting while the zone has room. */
export interface VisitorsWaiting {
  showId: string;
}

export const visitorsWaiting = defineEvent({
  type: 'premiere.visitors.waiting',
  data: Joi.object<VisitorsWaiting>({ showId }),
  subject: (d) => d.showId,
});
