import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REFUSED } from '../src/main';
import { describeRefusal, parseRecording, refusalSays, SUPPORTED_HELM } from '../src/refusals';

/**
 * chart:check's "refused" cases against what each supported helm really prints: recordings of
 * helm 3.16.4, 3.17.4 and 3.18.4 (gojsonschema's wording) and 3.18.6 and 3.22.0 (santhosh-tekuri/jsonschema's,
 * since 3.18.5), made with
 * `node helm/check/dist/refusals.js <helm> helm/premiere 1.34.0` (chart:check itself runs the
 * helm installed here).
 */
const dir = path.join(__dirname, '../fixtures/refusals');
const recordings = readdirSync(dir).filter((f) => /^helm-\d+\.\d+\.\d+\.txt$/.test(f));
const minor = (f: string) => /^helm-(\d+\.\d+)\./.exec(f)![1];

describe('the refusals chart:check expects', () => {
  it('are recorded for the oldest and the newest helm the README supports', () => {
    expect(recordings.map(minor)).toEqual(expect.arrayContaining([SUPPORTED_HELM.oldest, SUPPORTED_HELM.newest]));
  });

  it.each(recordings)('are what %s prints, for every refused set of values', (file) => {
    const recorded = parseRecording(readFileSync(path.join(dir, file), 'utf8'));
    const problems = REFUSED.flatMap(([args, expected]) => {
      const stderr = recorded.get(args.join(' '));
      if (stderr === undefined) return [`${args.join(' ')}: not recorded (record it again)`];
      return refusalSays(stderr, expected)
        ? []
        : [`${args.join(' ')}: expected ${describeRefusal(expected)}, got ${stderr}`];
    });
    expect(problems).toEqual([]);
  });

  it('name the refused value itself, not another', () => {
    const old =
      'Error: values don\'t meet the specifications of the schema(s) in the following chart(s):\npremiere:\n- broker.class: broker.class must be one of the following: "MTChannelBasedBroker"\n';
    const recent =
      "Error: values don't meet the specifications of the schema(s) in the following chart(s):\npremiere:\n- at '/broker/class': value must be one of 'MTChannelBasedBroker'\n";
    for (const stderr of [old, recent]) {
      expect(refusalSays(stderr, { value: 'broker.class' })).toBe(true);
      expect(refusalSays(stderr, { value: 'broker' })).toBe(false);
      expect(refusalSays(stderr, { value: 'broker.class', words: /klass/ })).toBe(false);
    }
    expect(
      refusalSays(
        'Error: execution error at (premiere/templates/x.yaml:1:2): legacy.url is required',
        'legacy.url is required',
      ),
    ).toBe(true);
  });
});
