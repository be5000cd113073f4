/** The layer lists in bench/suites/*.json (each names its source), loaded and checked. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { packageRoot } from '../binding/load.js';
import type { Suite } from './types.js';

export function suitesDir(): string {
  return join(packageRoot(), 'bench', 'suites');
}

export function suiteNames(): string[] {
  return readdirSync(suitesDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

export function loadSuite(name: string): Suite {
  const names = suiteNames();
  if (!names.includes(name)) {
    throw new RangeError(`Expected one of ${names.join(', ')} for suite but received ${JSON.stringify(name)} of type string`);
  }
  const suite = JSON.parse(readFileSync(join(suitesDir(), `${name}.json`), 'utf8')) as Suite;
  checkSuite(suite, name);
  return suite;
}

function checkSuite(s: Suite, file: string): void {
  const bad = (what: string) => new Error(`bench/suites/${file}.json: ${what}`);
  if (s.suite !== file) throw bad(`"suite" is ${JSON.stringify(s.suite)}, expected ${JSON.stringify(file)}`);
  if (typeof s.source !== 'string' || s.source.length < 20) throw bad('needs a "source" naming where the layers come from');
  if (!Array.isArray(s.layers) || s.layers.length === 0) throw bad('needs a non-empty "layers" array');
  for (const l of s.layers) {
    for (const key of ['c', 'k', 'h', 'w'] as const) {
      if (!Number.isInteger(l[key]) || l[key] < 1) throw bad(`layer ${l.name}: ${key} must be a positive integer`);
    }
  }
}
