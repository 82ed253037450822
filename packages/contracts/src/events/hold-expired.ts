import { defineEvent } from '../event';
import { holdEndedData } from './hold-released';

/** The hold ran out; the visit ends. */
export const holdExpired = defineEvent({
  type: 'premiere.hold.expired',
  data: holdEndedData,
  subject: (d) => d.orderId,
});
