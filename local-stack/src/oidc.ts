import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EventIssuer } from '@premiere/runtime';

/** The broker's audience, in Knative's form (eventing.knative.dev/broker/<namespace>/<name>). */
export const BROKER_AUDIENCE = 'eventing.knative.dev/broker/local/default';
/** Who the functions send events as: their SinkBinding's identity. */
const SINK_SUBJECT = 'system:serviceaccount:local:functions-to-broker-oidc-sources.knative.dev-sinkbinding';
/** Sink tokens last an hour, as Knative's do; the stack writes a new one well before. */
const SINK_TOKEN_TTL_SECONDS = 3_600;

/**
 * Makes the broker's signing key (P-256, PKCS#8 PEM) in `file`, mode 600: the broker reads it at
 * every start, so a broker started again signs with the key the functions already trust and takes
 * the token they already hold.
 */
export function writeBrokerKey(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
}

/** The broker's issuer (issuer URL = the broker's URL), signing with the key in `keyFile`. */
export function brokerIssuer(brokerUrl: string, keyFile: string): EventIssuer {
  return new EventIssuer(brokerUrl, createPrivateKey(readFileSync(keyFile)));
}

/** Writes the token the functions send to the broker with (as a SinkBinding mounts it), mode 600. */
export function writeSinkToken(file: string, issuer: EventIssuer): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, issuer.token(BROKER_AUDIENCE, SINK_SUBJECT, { ttlSeconds: SINK_TOKEN_TTL_SECONDS }), {
    mode: 0o600,
  });
}
