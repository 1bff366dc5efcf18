/**
 * docs/errors.md is the list of error codes: every code the source uses is in its table, and
 * every code in its table is used somewhere (no stale entry).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

test('docs/errors.md lists exactly the error codes the source uses', () => {
  const used = new Set<string>();
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    for (const [, code] of readFileSync(file, 'utf8').matchAll(/'(ERR_[A-Z0-9_]+)'/g)) used.add(code);
  }
  const table = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
  const documented = new Set([...table.matchAll(/^\| `(ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
  assert.ok(used.has('ERR_FORMAT') && used.size >= 10, `codes found in src/: ${[...used].join(' ')}`);
  assert.deepEqual([...used].filter((code) => !documented.has(code)).sort(), [], 'used in src/ but not in docs/errors.md');
  assert.deepEqual([...documented].filter((code) => !used.has(code)).sort(), [], 'in docs/errors.md but used nowhere in src/');
});
