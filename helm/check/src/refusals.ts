import { execFileSync } from 'node:child_process';

/**
 * What a refusal of wrong values must say, in the wording of every helm the README supports
 * (SUPPORTED_HELM). A template's own `fail` message is the chart's words, the same in every helm.
 * A values.schema.json refusal is helm's words, which changed with its JSON-schema library:
 * - helm ≤ 3.18.4 (gojsonschema): `- functions.issue-token.minScale: Must be greater than or equal to 0`
 * - helm ≥ 3.18.5 (santhosh-tekuri/jsonschema/v6, a patch release's change): `- at '/functions/issue-token/minScale': minimum: got -1, want 0`
 * so such a refusal is expected to name the value in either form, and to say `words` (a pattern
 * that admits each version's phrasing) when the value alone does not tell what is wrong.
 */
export const SUPPORTED_HELM = { oldest: '3.16', newest: '3.22' };

export interface SchemaRefusal {
  /** The refused value, dotted as in --set (functions.issue-token.minScale). */
  value?: string;
  words?: RegExp;
}
export type Refusal = string | SchemaRefusal;

/** The ways helm names a value it refuses by schema: `at '/a/b':` (≥ 3.18.5) or `- a.b:` (≤ 3.18.4). */
function valueNamed(stderr: string, value: string): boolean {
  const pointer = `/${value.split('.').join('/')}`;
  return stderr.includes(`at '${pointer}':`) || stderr.split('\n').some((line) => line.startsWith(`- ${value}: `));
}

/** Whether helm's refusal (its stderr) says what `expected` asks for. */
export function refusalSays(stderr: string, expected: Refusal): boolean {
  if (typeof expected === 'string') return stderr.includes(expected);
  return (
    (expected.value === undefined || valueNamed(stderr, expected.value)) &&
    (expected.words === undefined || expected.words.test(stderr))
  );
}

/** What `expected` asks for, in words (for a failure's message). */
export function describeRefusal(expected: Refusal): string {
  if (typeof expected === 'string') return expected;
  return [expected.value && `the value ${expected.value}`, expected.words && `words matching ${expected.words}`]
    .filter(Boolean)
    .join(' and ');
}

/**
 * helm's stderr for each refused set of values, as `## <args>` then the text: how the recordings in
 * fixtures/refusals/ were made, one per helm version (`node helm/check/dist/refusals.js <helm>
 * <chart> <kube-version> > helm/check/fixtures/refusals/helm-<version>.txt`), so that the wording of
 * a helm not installed here stays checked.
 */
export function recordRefusals(
  helm: string,
  chart: string,
  kubeVersion: string,
  refused: [string[], Refusal][],
): string {
  return refused
    .map(([args]) => {
      let stderr = '';
      try {
        execFileSync(helm, ['template', 'premiere', chart, '--kube-version', kubeVersion, ...args], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (err) {
        stderr = String((err as { stderr?: string }).stderr ?? err).trim();
      }
      return `## ${args.join(' ')}\n${stderr}\n`;
    })
    .join('');
}

/** A recording read back: the args line → helm's stderr. */
export function parseRecording(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(/^## /m).filter(Boolean)) {
    const newline = part.indexOf('\n');
    out.set(part.slice(0, newline), part.slice(newline + 1));
  }
  return out;
}

if (require.main === module) {
  // Loaded here, not at the top: main.ts imports this file.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { REFUSED } = require('./main') as { REFUSED: [string[], Refusal][] };
  const [helm, chart, kubeVersion] = process.argv.slice(2);
  process.stdout.write(recordRefusals(helm, chart, kubeVersion, REFUSED));
}
