import { Counter, Histogram, type Registry } from '@premiere/runtime';

/** What the provider said about a charge. */
export type ChargeOutcome =
  | { status: 'approved'; providerPaymentId: string }
  | { status: 'declined'; providerPaymentId: string | null; reason: 'declined' | 'insufficient funds' };

/** The provider could not be heard before the deadline. */
export class ProviderUnavailable extends Error {
  constructor(
    readonly operation: Operation,
    /** A call may have reached the provider without our hearing the answer: it may have acted. */
    readonly outcomeUnknown: boolean,
    detail: string,
  ) {
    super(`the payment provider did not answer the ${operation} in time (${detail})`);
    this.name = 'ProviderUnavailable';
  }
}

/** The provider refused the request itself (4xx other than a decline): our configuration or a bug. */
export class ProviderRefused extends Error {
  constructor(
    readonly operation: Operation,
    readonly status: number,
    body: unknown,
  ) {
    super(`the payment provider refused the ${operation}: ${status} ${JSON.stringify(body)}`);
    this.name = 'ProviderRefused';
  }
}

export type Operation = 'charge' | 'lookup' | 'refund';

/** One call, for the payment's record (provider_calls). */
export interface ProviderCall {
  operation: Operation;
  startedAt: Date;
  latencyMs: number;
  httpStatus: number | null;
  outcome: string;
}

const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 5_000;
/** A try with less time than this left is not worth making. */
const LAST_TRY_MS = 100;
const DECLINE_REASONS: Record<string, 'declined' | 'insufficient funds'> = { insufficient_funds: 'insufficient funds' };

/**
 * The payment provider's API: charge (authorise and capture), look a charge up by its idempotency
 * key, refund. Every call has a timeout and is retried, with exponential backoff and full jitter,
 * on timeouts, 5xx and connection errors until the caller's deadline; never on a decline. The
 * idempotency key comes from the payment, so however often a charge is sent, the provider
 * charges once.
 */
export class PaymentProvider {
  private readonly metrics;

  constructor(private readonly opts: { url: string; apiKey?: string; timeoutMs: number; registry: Registry }) {
    const registers = [opts.registry];
    this.metrics = {
      latency: new Histogram({
        name: 'premiere_payment_provider_seconds',
        help: 'Payment provider call latency, by operation',
        labelNames: ['operation'] as const,
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
        registers,
      }),
      retries: new Counter({
        name: 'premiere_payment_provider_retries_total',
        help: 'Calls to the payment provider sent again (timeout, 5xx, connection error), by operation',
        labelNames: ['operation'] as const,
        registers,
      }),
    };
  }

  /** The idempotency key of a payment's charge: the same for every delivery and retry. */
  static chargeKey = (paymentId: string) => `premiere-charge-${paymentId}`;
  static refundKey = (paymentId: string) => `premiere-refund-${paymentId}`;

  async charge(
    payment: { id: string; orderId: string; amountCents: number; currency: string; paymentToken: string },
    deadline: number,
    record: (call: ProviderCall) => Promise<void>,
  ): Promise<ChargeOutcome> {
    const { status, body } = await this.call('charge', deadline, record, {
      method: 'POST',
      path: '/v1/payments',
      key: PaymentProvider.chargeKey(payment.id),
      body: {
        amount: payment.amountCents,
        currency: payment.currency,
        payment_method: payment.paymentToken,
        reference: payment.orderId,
      },
      answers: [201, 402],
    });
    return this.outcomeOf(status, body as ProviderPayment);
  }

  /** The charge made with this payment's key: null if the provider has none. */
  async lookup(
    paymentId: string,
    deadline: number,
    record: (call: ProviderCall) => Promise<void>,
  ): Promise<ChargeOutcome | null> {
    const { status, body } = await this.call('lookup', deadline, record, {
      method: 'GET',
      path: `/v1/payments?idempotency_key=${encodeURIComponent(PaymentProvider.chargeKey(paymentId))}`,
      answers: [200, 404],
    });
    return status === 404 ? null : this.outcomeOf(status, body as ProviderPayment);
  }

  /** Refunds a charge in full; a charge refunded already (under any key) counts as refunded. */
  async refund(
    paymentId: string,
    providerPaymentId: string,
    deadline: number,
    record: (call: ProviderCall) => Promise<void>,
  ): Promise<{ refundId: string | null }> {
    const { status, body } = await this.call('refund', deadline, record, {
      method: 'POST',
      path: `/v1/payments/${encodeURIComponent(providerPaymentId)}/refunds`,
      key: PaymentProvider.refundKey(paymentId),
      body: {},
      answers: [201, 409],
    });
    const answer = body as { id?: string; error?: string };
    if (status === 409 && answer.error !== 'charge_already_refunded') throw new ProviderRefused('refund', status, body);
    return { refundId: answer.id ?? null };
  }

  private outcomeOf(status: number, payment: ProviderPayment): ChargeOutcome {
    if (payment.status === 'approved' && status !== 402) return { status: 'approved', providerPaymentId: payment.id };
    return {
      status: 'declined',
      providerPaymentId: payment.id ?? null,
      reason: DECLINE_REASONS[payment.decline_code ?? ''] ?? 'declined',
    };
  }

  private async call(
    operation: Operation,
    deadline: number,
    record: (call: ProviderCall) => Promise<void>,
    req: { method: 'GET' | 'POST'; path: string; key?: string; body?: unknown; answers: number[] },
  ): Promise<{ status: number; body: unknown }> {
    let unknown = false;
    let last = 'no attempt';
    for (let attempt = 0; ; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) throw new ProviderUnavailable(operation, unknown, last);
      if (attempt > 0) this.metrics.retries.labels(operation).inc();
      const startedAt = new Date();
      const end = this.metrics.latency.labels(operation).startTimer();
      let status: number | null = null;
      let outcome: string;
      try {
        const res = await fetch(`${this.opts.url.replace(/\/$/, '')}${req.path}`, {
          method: req.method,
          headers: {
            ...(req.body ? { 'content-type': 'application/json' } : {}),
            ...(req.key ? { 'idempotency-key': req.key } : {}),
            ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
          },
          body: req.body ? JSON.stringify(req.body) : undefined,
          signal: AbortSignal.timeout(Math.min(this.opts.timeoutMs, left)),
        });
        status = res.status;
        const text = await res.text();
        const body = text ? (JSON.parse(text) as unknown) : null;
        if (req.answers.includes(status)) {
          await record({
            operation,
            startedAt,
            latencyMs: Date.now() - startedAt.getTime(),
            httpStatus: status,
            outcome: 'answered',
          });
          return { status, body };
        }
        if (status < 500 && status !== 409 && status !== 429) {
          await record({
            operation,
            startedAt,
            latencyMs: Date.now() - startedAt.getTime(),
            httpStatus: status,
            outcome: 'refused',
          });
          throw new ProviderRefused(operation, status, body);
        }
        // 5xx: it may have failed half way; 409: the same key is still being worked on; 429: slow down.
        if (status !== 503 && status !== 429) unknown = true;
        outcome = `http ${status}`;
      } catch (err) {
        if (err instanceof ProviderRefused) throw err;
        const e = err as Error & { cause?: { code?: string } };
        const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
        // A refused connection never reached it; a timeout or a broken one may have.
        if (e.cause?.code !== 'ECONNREFUSED') unknown = true;
        outcome = timedOut ? 'timeout' : (e.cause?.code ?? e.message);
      } finally {
        end();
      }
      last = outcome;
      await record({ operation, startedAt, latencyMs: Date.now() - startedAt.getTime(), httpStatus: status, outcome });
      // Full jitter, but never sleeping past the deadline: the last try comes just before it.
      const pause = Math.min(
        Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt),
        deadline - Date.now() - LAST_TRY_MS,
      );
      if (pause < 0) throw new ProviderUnavailable(operation, unknown, last);
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

interface ProviderPayment {
  id: string;
  status: 'approved' | 'declined';
  decline_code: string | null;
}
