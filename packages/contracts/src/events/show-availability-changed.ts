import Joi from 'joi';
import { defineEvent } from '../event';
import { showId } from '../ids';

/** How the catalog lists a show, best first. */
export const LISTINGS = ['available', 'few_left', 'sold_out'] as const;
export type ShowListing = (typeof LISTINGS)[number];

/** A show's listing changed; its producer wrote the new value to its own Redis key first. */
export interface ShowAvailabilityChanged {
  showId: string;
  availability: ShowListing;
}

export const showAvailabilityChanged = defineEvent({
  type: 'premiere.show.availability.changed',
  data: Joi.object<ShowAvailabilityChanged>({
    showId,
    availability: Joi.string()
      .valid(...LISTINGS)
      .required(),
  }),
  subject: (d) => d.showId,
});
