import Joi from 'joi';
import { defineEvent } from '../event';

/** Shows, movies or cinemas changed: every catalog page is refreshed. */
export type CatalogChanged = Record<string, never>;

export const catalogChanged = defineEvent({
  type: 'premiere.catalog.changed',
  data: Joi.object<CatalogChanged>({}),
});
