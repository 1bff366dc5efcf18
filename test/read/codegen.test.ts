/**
 * The struct decoders generated from the metadata and the generic closures they replace give
 * the same values: every fixture printed as JSON by a node that refuses code generation from
 * strings (--disallow-code-generation-from-strings: the reader falls back to the closures) is
 * the same as printed by a normal one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fixture } from './helpers.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function printJson(dir: string, nodeFlags: readonly string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [...nodeFlags, CLI, 'print', '--json', dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

describe('generated struct decoders', () => {
  for (const group of ['good', 'reader']) {
    for (const name of readdirSync(fixture(group))) {
      const dir = fixture(group, name);
      if (!statSync(dir).isDirectory()) continue;
      it(`decode as the generic closures: ${group}/${name}`, () => {
        const generated = printJson(dir, []);
        const generic = printJson(dir, ['--disallow-code-generation-from-strings']);
        assert.deepEqual(generic, generated);
        assert.ok(generated.stdout.length > 0);
      });
    }
  }
});
