import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EVENT_CONTRACTS } from '@premiere/contracts';

/** docs/events.md's table: each event's type and what its data column says. */
function documentedEvents(): Map<string, string> {
  const doc = readFileSync(path.resolve(__dirname, '../../../docs/events.md'), 'utf8');
  const table = doc.slice(doc.indexOf('## Events'), doc.indexOf('## Schedules'));
  const rows = new Map<string, string>();
  for (const line of table.split('\n')) {
    const cells = line.split(' | ');
    const type = /^\| `(premiere\.[a-z.-]+)`$/.exec(cells[0])?.[1];
    if (type) rows.set(type, cells[cells.length - 1]);
  }
  return rows;
}

describe('docs/events.md and the contracts (packages/contracts/src/events)', () => {
  const documented = documentedEvents();

  it('documents every contract, with each of its data fields', () => {
    for (const contract of EVENT_CONTRACTS) {
      const data = documented.get(contract.type);
      expect({ type: contract.type, documented: data !== undefined }).toEqual({
        type: contract.type,
        documented: true,
      });
      const missing = contract.fields.filter((f) => !data!.includes(`\`${f}\``));
      expect({ type: contract.type, missing }).toEqual({ type: contract.type, missing: [] });
    }
  });

  it('documents no event without a contract', () => {
    const contracts = new Set<string>(EVENT_CONTRACTS.map((c) => c.type));
    expect([...documented.keys()].filter((t) => !contracts.has(t))).toEqual([]);
    expect(documented.size).toBeGreaterThanOrEqual(EVENT_CONTRACTS.length);
  });
});
