import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import rules from '../import-rules.json';

/**
 * Packages meet only at their exports (issue 17): no import of another package's src/ or dist/,
 * no relative path into another package. The rules are in import-rules.json, for lint to reuse.
 */
const ROOT = path.resolve(__dirname, '../../..');
const WORKSPACES: string[] = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).workspaces;
const FORBIDDEN = rules.forbidden.map((r) => ({ pattern: new RegExp(r.pattern), message: r.message }));
/** import … from '…', export … from '…', import('…'), require('…'), jest.mock('…'). */
const SPECIFIER =
  /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|\bjest\.mock\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    if (d.name === 'node_modules' || d.name === 'dist' || d.name.startsWith('.')) return [];
    const full = path.join(dir, d.name);
    if (d.isDirectory()) return sources(full);
    return full.endsWith('.ts') && !full.endsWith('.d.ts') ? [full] : [];
  });
}

/** The package a file belongs to: the nearest folder above it with a package.json. */
function packageOf(file: string): string {
  let dir = path.dirname(file);
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

/** Every import of `file` that breaks a rule, as "file:line: specifier: why". */
function importProblems(file: string, text = readFileSync(file, 'utf8')): string[] {
  const problems: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const specifier = m[1];
    const line = text.slice(0, m.index).split('\n').length;
    const where = `${path.relative(ROOT, file)}:${line}: ${specifier}`;
    for (const rule of FORBIDDEN) if (rule.pattern.test(specifier)) problems.push(`${where}: ${rule.message}`);
    if (specifier.startsWith('.') && packageOf(path.resolve(path.dirname(file), specifier, 'x')) !== packageOf(file)) {
      problems.push(`${where}: ${rules.relativeStaysInPackage.message}`);
    }
  }
  return problems;
}

describe('imports between packages', () => {
  it('go through each package’s exports, never into its src/, dist/ or folders', () => {
    // This file's own examples below are the one exception.
    const files = WORKSPACES.flatMap((ws) => sources(path.join(ROOT, ws))).filter((f) => f !== __filename);
    expect(files.length).toBeGreaterThan(100);
    expect(files.flatMap((f) => importProblems(f))).toEqual([]);
  });

  it('refuses a deep import, a ../../../ and a relative path into another package', () => {
    const file = path.join(ROOT, 'functions/reserve-seat/test/some.test.ts');
    const text = [
      "import { x } from '@premiere/runtime/dist/testing';",
      "import { y } from '../../../local-stack/src/demo-catalog';",
      "import { z } from '../../issue-token/src';",
      "const w = require('@premiere/local-stack/src/backing');",
      "import { fine } from '../src/routes';",
      "import { alsoFine } from '@premiere/testing';",
    ].join('\n');
    expect(importProblems(file, text).map((p) => p.split(': ').slice(0, 2).join(': '))).toEqual([
      'functions/reserve-seat/test/some.test.ts:1: @premiere/runtime/dist/testing',
      'functions/reserve-seat/test/some.test.ts:2: ../../../local-stack/src/demo-catalog',
      'functions/reserve-seat/test/some.test.ts:2: ../../../local-stack/src/demo-catalog',
      'functions/reserve-seat/test/some.test.ts:3: ../../issue-token/src',
      'functions/reserve-seat/test/some.test.ts:4: @premiere/local-stack/src/backing',
    ]);
  });
});
