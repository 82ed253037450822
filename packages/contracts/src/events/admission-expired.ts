import Joi from 'joi';
import { defineEvent } from '../event';
import { showId } from '../ids';

/** A nudge (not through the outbox): a zone slot's lease ran out (an admission unused, a visitor gone). */
export interface AdmissionExpired {
  showId: string;
}

export const admissionExpired = defineEvent({
  type: 'premiere.admission.expired',
  data: Joi.object<AdmissionExpired>({ showId }),
  subject: (d) => d.showId,
});
