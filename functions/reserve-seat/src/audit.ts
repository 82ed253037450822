import Boom from '@hapi/boom';
import type { ServerRoute } from '@hapi/hapi';
import Joi from 'joi';
import type pg from 'pg';
import { showId } from '@premiere/contracts';
import { operatorCheck, operatorHeaders, type FunctionContext } from '@premiere/runtime';
import type { ReserveSeatEnv } from './env';
import { ORDER_STATES } from './order-state-machine';

/**
 * The order audit trail, for operators (Bearer ADMIN_TOKEN): an order's whole story (every state
 * it went through, when and why; each payment attempt and its outcome; its seats, extras and
 * tickets), and a show's orders by state, e.g. to find those still awaiting payment.
 */
export function auditRoutes(ctx: FunctionContext<ReserveSeatEnv>): ServerRoute[] {
  const authorize = operatorCheck(ctx.config.ADMIN_TOKEN);
  return [
    {
      method: 'GET',
      path: '/checkout/admin/orders/{orderId}',
      options: {
        validate: { headers: operatorHeaders, params: Joi.object({ orderId: Joi.string().guid().required() }) },
      },
      handler: async (request, h) => {
        authorize(request);
        const history = await orderHistory(ctx.db, request.params.orderId as string);
        if (!history) throw Boom.notFound('no such order');
        return h.response(history).header('cache-control', 'no-store');
      },
    },
    {
      method: 'GET',
      path: '/checkout/admin/shows/{showId}/orders',
      options: {
        validate: {
          headers: operatorHeaders,
          params: Joi.object({ showId }),
          query: Joi.object({
            state: Joi.string().valid(...ORDER_STATES),
            limit: Joi.number().integer().min(1).max(500).default(50),
          }),
        },
      },
      handler: async (request, h) => {
        authorize(request);
        const { state, limit } = request.query as { state?: string; limit: number };
        return h
          .response({
            showId: request.params.showId,
            orders: await ordersOfShow(ctx.db, request.params.showId as string, state ?? null, limit),
          })
          .header('cache-control', 'no-store');
      },
    },
  ];
}

/** An order with its transitions, payment attempts, seats, extras and tickets; null if unknown. */
export async function orderHistory(db: pg.Pool, orderId: string) {
  const { rows } = await db.query(
    `SELECT o.id AS "orderId", o.show_id AS "showId", o.visitor, o.state, o.hold_id AS "legacyHoldId", o.hold_expires_at AS "holdExpiresAt",
            o.currency, o.total_cents AS "totalCents", o.rejection_reason AS "rejectionReason", o.created_at AS "createdAt", o.updated_at AS "updatedAt",
            (SELECT coalesce(json_agg(json_build_object('from', from_state, 'to', to_state, 'cause', cause, 'at', at) ORDER BY id), '[]')
               FROM order_transitions WHERE order_id = o.id) AS transitions,
            -- o.id || ':' || attempt: paymentIdOf (@premiere/contracts)
            (SELECT coalesce(json_agg(json_build_object('paymentId', o.id || ':' || attempt, 'attempt', attempt, 'amountCents', amount_cents,
                                                        'requestedAt', requested_at, 'outcome', outcome, 'reason', reason) ORDER BY attempt), '[]')
               FROM payment_requests WHERE order_id = o.id) AS payments,
            (SELECT coalesce(json_agg(json_build_object('seat', seat, 'ticketType', ticket_type, 'priceCents', price_cents) ORDER BY seat), '[]')
               FROM order_seats WHERE order_id = o.id) AS seats,
            (SELECT coalesce(json_agg(json_build_object('extraId', extra_id, 'quantity', quantity, 'priceCents', price_cents) ORDER BY extra_id), '[]')
               FROM order_extras WHERE order_id = o.id) AS extras,
            (SELECT coalesce(json_agg(json_build_object('code', code, 'seat', seat, 'issuedAt', issued_at) ORDER BY seat), '[]')
               FROM tickets WHERE order_id = o.id) AS tickets
       FROM orders o WHERE o.id = $1`,
    [orderId],
  );
  return rows[0] ?? null;
}

/** A show's orders, newest first, optionally in one state. */
export async function ordersOfShow(db: pg.Pool, showId: string, state: string | null, limit: number) {
  const { rows } = await db.query(
    `SELECT id AS "orderId", visitor, state, hold_expires_at AS "holdExpiresAt", total_cents AS "totalCents", currency,
            created_at AS "createdAt", updated_at AS "updatedAt"
       FROM orders WHERE show_id = $1 AND ($2::text IS NULL OR state = $2)
      ORDER BY created_at DESC LIMIT $3`,
    [showId, state, limit],
  );
  return rows;
}
