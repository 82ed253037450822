import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  attemptOf,
  EVENT_CONTRACTS,
  isShowId,
  MalformedEvent,
  orderConfirmed,
  paymentApproved,
  paymentId,
  paymentIdOf,
  paymentRequested,
  showAvailabilityChanged,
  visitorActive,
} from '@premiere/contracts';

describe('ids', () => {
  it('a payment id is <order id>:<attempt>, made, checked and read back in one place', () => {
    const order = randomUUID();
    const id = paymentIdOf(order, 3);
    expect(id).toBe(`${order}:3`);
    expect(paymentId.validate(id).error).toBeUndefined();
    expect(attemptOf(id)).toEqual({ orderId: order, attempt: 3 });
    for (const bad of [order, `${order}:0`, `${order}:x`, 'order-1:1'])
      expect(paymentId.validate(bad).error?.message).toBe('"paymentId" must be "<order id>:<attempt>"');
  });
  it('a show id is lowercase letters, digits and "-", at most 64', () => {
    for (const good of ['show-1', 'a', `a${'b'.repeat(63)}`]) expect(isShowId(good)).toBe(true);
    for (const bad of ['', '-show', 'Show-1', 'show_1', `a${'b'.repeat(64)}`, 42]) expect(isShowId(bad)).toBe(false);
  });
});

describe('event contracts', () => {
  it('are one per type, each premiere.<entity>.<past-tense verb>', () => {
    const types = EVENT_CONTRACTS.map((c) => c.type);
    expect(new Set(types).size).toBe(types.length);
    for (const t of types) expect(t).toMatch(/^premiere(\.[a-z][a-z0-9-]*){2,}$/);
  });

  it('build the event a producer emits, with its subject', () => {
    const order = randomUUID();
    const confirmed = orderConfirmed.event({
      orderId: order,
      showId: 'show-1',
      visitor: 7,
      tickets: [{ seat: 'F12', code: 'ABC' }],
    });
    expect(confirmed).toEqual({
      type: 'premiere.order.confirmed',
      subject: order,
      data: { orderId: order, showId: 'show-1', visitor: 7, tickets: [{ seat: 'F12', code: 'ABC' }] },
    });
    expect(showAvailabilityChanged.event({ showId: 'show-1', availability: 'few_left' }).subject).toBe('show-1');
  });

  it('refuse to build a malformed event: a producer cannot emit what its consumers would refuse', () => {
    const order = randomUUID();
    const bad = [
      () => showAvailabilityChanged.event({ showId: 'Show 1', availability: 'few_left' }),
      () => showAvailabilityChanged.event({ showId: 'show-1', availability: 'some' as never }),
      () =>
        paymentApproved.event({
          paymentId: `${order}:1`,
          orderId: order,
          attempt: 1,
          amountCents: '100' as never,
          currency: 'BRL',
          providerPaymentId: 'p',
        }),
      () => orderConfirmed.event({ orderId: order, showId: 'show-1', visitor: 7 } as never),
      () => visitorActive.event({ showId: 'show-1', visitor: 1, until: 'soon' }),
      () => visitorActive.event({ showId: 'show-1', visitor: 1, until: new Date().toISOString(), extra: 1 } as never),
    ];
    for (const build of bad) expect(build).toThrow(MalformedEvent);
  });

  it('give consumers the data as the builder sent it: a time stays a string', () => {
    const order = randomUUID();
    const sent = paymentRequested.event({
      paymentId: paymentIdOf(order, 1),
      orderId: order,
      showId: 'show-1',
      attempt: 1,
      amountCents: 5000,
      currency: 'BRL',
      paymentToken: 'tok_visa',
      holdExpiresAt: new Date(0).toISOString(),
    });
    const { error, value } = paymentRequested.data.validate(sent.data, { allowUnknown: true });
    expect(error).toBeUndefined();
    expect(value).toEqual(sent.data);
    expect(
      visitorActive.data.validate({ showId: 'show-1', visitor: 1, until: '2026-12-02T12:00:00-03:00' }).value?.until,
    ).toBe('2026-12-02T15:00:00.000Z');
  });

  it('never repeat a payment token in a refusal', () => {
    const order = randomUUID();
    const { error } = paymentRequested.data.validate({
      paymentId: `${order}:1`,
      orderId: order,
      showId: 's',
      attempt: 1,
      amountCents: 1,
      currency: 'BRL',
      paymentToken: '4111 1111 1111 1111',
      holdExpiresAt: new Date().toISOString(),
    });
    expect(error?.message).toBe('"paymentToken" must be the provider’s token for the card');
  });
});

describe("the functions' code", () => {
  it('names event types only through their contracts (no premiere.* type literal)', () => {
    const functions = path.resolve(__dirname, '../../../functions');
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const file = path.join(dir, name);
        if (statSync(file).isDirectory()) walk(file);
        else if (file.endsWith('.ts')) {
          readFileSync(file, 'utf8')
            .split('\n')
            .forEach((line, i) => {
              if (/['"]premiere(\.[a-z][a-z0-9-]*){2,}['"]/.test(line))
                found.push(`${path.relative(functions, file)}:${i + 1}`);
            });
        }
      }
    };
    // A function is a folder with a package.json (a checkout may keep a moved package's build output).
    for (const fn of readdirSync(functions).filter((f) => existsSync(path.join(functions, f, 'package.json'))))
      walk(path.join(functions, fn, 'src'));
    expect(found).toEqual([]);
  });
});
