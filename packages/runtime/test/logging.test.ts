import { captureLogs } from '@premiere/testing';
import { createLogger, isSensitiveKey, REDACTED, scrubText } from '@premiere/runtime';

function logged(fn: (log: ReturnType<typeof createLogger>) => void) {
  const capture = captureLogs();
  const log = createLogger({ name: 'test' }, capture.stream);
  fn(log);
  log.flush();
  return capture;
}

describe('logs never carry secrets, tokens or card data', () => {
  it('redacts sensitive keys at any depth', async () => {
    const capture = logged((log) =>
      log.info(
        {
          password: 'hunter2',
          order: { paymentMethodToken: 'tok_visa_secret', card: { number: '4242' }, amountCents: 3200 },
          headers: { authorization: 'Bearer abc.def', cookie: 'session=s3cr3t', 'x-api-key': 'k-123' },
          visitors: [{ queueToken: 'qt-999', position: 3 }],
          DATABASE_PASSWORD: 'pw',
          tokensLeft: 12,
        },
        'checkout',
      ),
    );
    await new Promise((r) => setImmediate(r));
    const line = capture.raw.join('\n');
    for (const secret of ['hunter2', 'tok_visa_secret', '4242', 'abc.def', 's3cr3t', 'k-123', 'qt-999', '"pw"'])
      expect(line).not.toContain(secret);
    const entry = capture.lines[0] as any;
    expect(entry.order.amountCents).toBe(3200);
    expect(entry.visitors[0].position).toBe(3);
    expect(entry.tokensLeft).toBe(12); // not a secret: only keys that *are* tokens
    expect(entry.password).toBe(REDACTED);
  });

  it('scrubs credentials inside text: URLs, bearer tokens, card numbers', async () => {
    const capture = logged((log) => {
      log.error({ err: new Error('connect to postgres://premiere:s3cret@db:5432/x failed') }, 'db down');
      log.warn('provider said: Authorization: Bearer sk_live_123 rejected for 4242 4242 4242 4242');
    });
    await new Promise((r) => setImmediate(r));
    const text = capture.raw.join('\n');
    expect(text).not.toMatch(/s3cret|sk_live_123|4242 4242 4242 4242/);
    expect(text).toContain('postgres://premiere:[REDACTED]@db:5432/x');
    expect(scrubText('order 1795000000000 at 2026-11-22')).toBe('order 1795000000000 at 2026-11-22'); // not a card (Luhn)
    // A UUID whose last groups are all digits and pass Luhn is an id, not a card.
    expect(scrubText('0f3c2a7e-5b1d-4c2e-8000-000000000011')).toBe('0f3c2a7e-5b1d-4c2e-8000-000000000011');
    expect(scrubText('card 4242-4242-4242-4242 for 0f3c2a7e-5b1d-4c2e-8000-000000000011')).toBe(
      `card ${REDACTED} for 0f3c2a7e-5b1d-4c2e-8000-000000000011`,
    );
  });

  it('knows which keys are sensitive', () => {
    expect(
      [
        'token',
        'accessToken',
        'access_token',
        'Authorization',
        'set-cookie',
        'apiKey',
        'signingKeys',
        'cvv',
        'paymentMethod',
      ].every(isSensitiveKey),
    ).toBe(true);
    expect(['tokensIssued', 'showId', 'position', 'idempotencyKeyHash'].some(isSensitiveKey)).toBe(false);
  });
});
