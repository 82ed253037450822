import { readFileSync } from 'node:fs';
import path from 'node:path';
import Joi from 'joi';
import YAML from 'yaml';
import { listFunctions } from '@premiere/runtime';

/** The chart folder, where the files the chart and the local stack share are declared. */
export const CHART_DIR = path.resolve(__dirname, '../../helm/premiere');

const NAME = Joi.string().pattern(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
const FUNCTION = Joi.string().valid(...listFunctions());

export interface Delivery {
  retry: number;
  backoffPolicy: 'exponential' | 'linear';
  backoffDelay: string; // ISO-8601 duration
}
export interface Subscription {
  name: string;
  function: string;
  filter: Record<string, string>;
}
export interface Schedule {
  name: string;
  function: string;
  schedule: string;
  data: Record<string, unknown>;
  /** Why it may keep its function from scaling to zero (a schedule more frequent than that takes). */
  keepsWarm?: string;
}
export interface Eventing {
  delivery: Delivery;
  subscriptions: Subscription[];
  schedules: Schedule[];
}
export interface Routes {
  routes: { prefix: string; function: string }[];
  blocked: string[];
  health: string;
  edgeHealth: string;
}

const eventingSchema = Joi.object<Eventing>({
  delivery: Joi.object({
    retry: Joi.number().integer().min(0).max(20).required(),
    backoffPolicy: Joi.string().valid('exponential', 'linear').required(),
    backoffDelay: Joi.string()
      .pattern(/^PT(\d+(\.\d+)?S|\d+M)$/)
      .required(),
  }).required(),
  subscriptions: Joi.array()
    .items(
      Joi.object({
        name: NAME.required(),
        function: FUNCTION.required(),
        filter: Joi.object()
          .pattern(/^[a-z0-9]+$/, Joi.string())
          .min(1)
          .required(),
      }),
    )
    .unique('name')
    .required(),
  schedules: Joi.array()
    .items(
      Joi.object({
        name: NAME.required(),
        function: FUNCTION.required(),
        schedule: Joi.string().required(),
        data: Joi.object({ schedule: Joi.string().required() }).unknown().required(),
        keepsWarm: Joi.string().max(500),
      }),
    )
    .unique('name')
    .required(),
});

const routesSchema = Joi.object<Routes>({
  routes: Joi.array()
    .items(
      Joi.object({
        prefix: Joi.string()
          .pattern(/^\/([a-z0-9_-]+)*$/)
          .required(),
        function: FUNCTION.required(),
      }),
    )
    .unique('prefix')
    .required(),
  blocked: Joi.array()
    .items(Joi.string().pattern(/^\/[a-z0-9_/-]+$/))
    .required(),
  health: Joi.string()
    .pattern(/^\/[a-z0-9_-]+$/)
    .required(),
  edgeHealth: Joi.string()
    .pattern(/^(\/[a-z0-9_-]+)+$/)
    .required(),
});

function load<T>(file: string, schema: Joi.ObjectSchema<T>): T {
  const { value, error } = schema.validate(YAML.parse(readFileSync(file, 'utf8')));
  if (error) throw new Error(`${file}: ${error.message}`);
  return value;
}

export const loadEventing = (file = path.join(CHART_DIR, 'eventing.yaml')) => load(file, eventingSchema);
export const loadRoutes = (file = path.join(CHART_DIR, 'routes.yaml')) => load(file, routesSchema);

/** PT0.5S, PT10S, PT2M → milliseconds (the forms Knative delivery specs use). */
export function durationMs(iso: string): number {
  const m = /^PT(?:(\d+(?:\.\d+)?)S|(\d+)M)$/.exec(iso);
  if (!m) throw new Error(`unsupported ISO-8601 duration "${iso}"`);
  return m[1] !== undefined ? Number(m[1]) * 1000 : Number(m[2]) * 60_000;
}
