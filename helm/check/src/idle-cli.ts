import { readFileSync } from 'node:fs';
import { parseAll } from './helm';
import { describeIdleness, idleness, KNATIVE_AUTOSCALER_DEFAULTS, MIN_SECONDS_AT_ZERO } from './scale-to-zero';

/**
 * `helm get manifest <release> | node helm/check/dist/idle-cli.js`: which functions go back to zero
 * between their schedules and which stay warm, and why (k8s/demo-autoscale.sh prints it beside
 * the pods' chart). Computed as chart:check computes it, with Knative's default autoscaler settings.
 */
const docs = parseAll(readFileSync(0, 'utf8'));
const config = KNATIVE_AUTOSCALER_DEFAULTS;
process.stdout.write(
  `Between sales (Knative's defaults: a ${config['stable-window']} stable window, a ${config['scale-to-zero-grace-period']} scale-to-zero grace; reaching zero means at least ${MIN_SECONDS_AT_ZERO} s there between two pings):\n`,
);
for (const line of describeIdleness(idleness(docs))) process.stdout.write(`  ${line}\n`);
