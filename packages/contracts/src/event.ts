import type Joi from 'joi';

/**
 * An event ready to emit (`tx.emit`, `ctx.nudge`): what the runtime's EventToEmit takes. Made
 * only by a contract's `event(...)`, which has checked its data.
 */
export interface ContractEvent<Type extends string = string> {
  type: Type;
  subject?: string;
  data: Record<string, unknown>;
}

/** One event type: its type string, the one schema of its data, and the builder producers use. */
export interface EventContract<Type extends string, Data extends object> {
  readonly type: Type;
  /** Consumers' events route validates against it; the builder checks producers' data with it. */
  readonly data: Joi.ObjectSchema<Data>;
  /** The data's fields, as docs/events.md must name them. */
  readonly fields: readonly string[];
  /** The event to emit; throws MalformedEvent if `data` is not what the schema says. */
  event(data: Data): ContractEvent<Type>;
}

/** A producer built an event its consumers would refuse: a bug, so the caller's transaction fails. */
export class MalformedEvent extends Error {}

export function defineEvent<Type extends string, Data extends object>(spec: {
  type: Type;
  data: Joi.ObjectSchema<Data>;
  /** The show or order id the event is about (docs/events.md, "subject"). */
  subject?: (data: Data) => string;
}): EventContract<Type, Data> {
  const fields = Object.keys((spec.data.describe() as { keys?: Record<string, unknown> }).keys ?? {});
  return {
    type: spec.type,
    data: spec.data,
    fields,
    event(data) {
      // No conversion: what is sent is exactly what was checked (a time as a string, a number as one).
      const { error } = spec.data.validate(data, { convert: false });
      if (error) throw new MalformedEvent(`${spec.type} not emitted: ${error.message}`);
      return {
        type: spec.type,
        ...(spec.subject ? { subject: spec.subject(data) } : {}),
        data: data as Record<string, unknown>,
      };
    },
  };
}
