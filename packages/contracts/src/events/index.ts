import { admissionExpired } from './admission-expired';
import { catalogChanged } from './catalog-changed';
import { holdExpired } from './hold-expired';
import { holdReleased } from './hold-released';
import { orderConfirmed } from './order-confirmed';
import { paymentApproved } from './payment-approved';
import { paymentRejected } from './payment-rejected';
import { paymentRequested } from './payment-requested';
import { paymentSettled } from './payment-settled';
import { refundCompleted } from './refund-completed';
import { refundRequested } from './refund-requested';
import { seatReleased } from './seat-released';
import { showAvailabilityChanged } from './show-availability-changed';
import { visitorActive } from './visitor-active';
import { visitorsAdmitted } from './visitors-admitted';
import { visitorsWaiting } from './visitors-waiting';

export * from './admission-expired';
export * from './catalog-changed';
export * from './hold-expired';
export * from './hold-released';
export * from './order-confirmed';
export * from './payment-approved';
export * from './payment-rejected';
export * from './payment-requested';
export * from './payment-settled';
export * from './refund-completed';
export * from './refund-requested';
export * from './seat-released';
export * from './show-availability-changed';
export * from './visitor-active';
export * from './visitors-admitted';
export * from './visitors-waiting';

/** Every event type premiere's functions emit or handle (docs/events.md lists each; a test checks). */
export const EVENT_CONTRACTS = [
  showAvailabilityChanged,
  catalogChanged,
  visitorsAdmitted,
  visitorsWaiting,
  admissionExpired,
  orderConfirmed,
  paymentRequested,
  paymentApproved,
  paymentRejected,
  paymentSettled,
  refundRequested,
  refundCompleted,
  holdReleased,
  holdExpired,
  seatReleased,
  visitorActive,
] as const;

export type PremiereEventType = (typeof EVENT_CONTRACTS)[number]['type'];
