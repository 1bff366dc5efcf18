/**
 * A bad format string fails to type-check with a message that names the bad conversion (issue
 * 11), not "not assignable to parameter of type 'never'": tsc is run on test/types/bad-format.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

test('tsc names the bad conversion and the field of a bad format', () => {
  const result = spawnSync(process.execPath, [TSC, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext',
    '--moduleResolution', 'nodenext', '--types', 'node', '--skipLibCheck', join(ROOT, 'test', 'types', 'bad-format.ts')], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  const diagnostics = result.stdout.split('\n').filter((line) => /error TS\d+/.test(line));
  assert.equal(diagnostics.length, 2, result.stdout + result.stderr);
  assert.match(diagnostics[0], /bad-format\.ts\(6,\d+\): error TS2345: Argument of type '2' is not assignable to parameter of type '"tracemark: bad conversion '%q' for field 'payload'"'/);
  assert.match(diagnostics[1], /bad-format\.ts\(8,\d+\): error TS2345: .*"tracemark: bad format 'oops': expected 'name %conversion' pairs separated by spaces"/);
  assert.doesNotMatch(result.stdout, /type 'never'/);
});
