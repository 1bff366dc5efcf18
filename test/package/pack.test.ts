/**
 * The published package (issue 11): what `npm pack` would put in it, package.json's links, and
 * the CLI's `--help` and `--version` pointing at what the package holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;

interface PackResult { files: { path: string }[] }

function packedFiles(): string[] {
  // --ignore-scripts: the test runs on the build `npm test` just made (prepack would rebuild).
  const result = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.error, undefined, `npm: ${String(result.error)}`);
  assert.equal(result.status, 0, result.stderr);
  const [packed] = JSON.parse(result.stdout) as PackResult[];
  return packed.files.map((f) => f.path);
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('npm pack holds LICENSE, README, the docs and the built library, and no tests or benchmarks', () => {
  const files = packedFiles();
  for (const needed of ['LICENSE', 'README.md', 'package.json', 'BENCHMARKS.md', 'docs/api.md', 'docs/cli.md', 'docs/errors.md', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'dist/src/cli/preload.js']) {
    assert.ok(files.includes(needed), `${needed} missing from the package`);
  }
  for (const file of files) {
    assert.ok(!/^(test|bench|examples|scripts|src|dist\/test|dist\/bench|dist\/examples)\//.test(file), `${file} should not be in the package`);
    assert.ok(!file.startsWith('.ci/') && !file.startsWith('node_modules/'), `${file} should not be in the package`);
  }
  // Every document the README links to relatively is shipped.
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const [, link] of readme.matchAll(/\]\(((?:docs\/)?[\w./-]+\.md)\)/g)) {
    assert.ok(files.includes(link), `README links ${link}, which the package does not hold`);
  }
});

test('LICENSE is the MIT licence package.json declares', () => {
  assert.equal(pkg.license, 'MIT');
  assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) \d{4} .+\n[\s\S]*WITHOUT WARRANTY OF ANY KIND/);
});

test('package.json links the repository, the home page and the issue tracker', () => {
  const repository = pkg.repository as { type?: string; url?: string } | undefined;
  assert.equal(repository?.type, 'git');
  assert.match(repository?.url ?? '', /^git\+https:\/\/github\.com\/[\w-]+\/[\w-]+\.git$/);
  assert.match(String(pkg.homepage), /^https:\/\/github\.com\//);
  assert.match((pkg.bugs as { url?: string } | undefined)?.url ?? '', /^https:\/\/github\.com\/.+\/issues$/);
});

test('tracemark --version prints the version of package.json', () => {
  for (const flag of ['--version', '-V']) {
    const run = cli([flag]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, `${String(pkg.version)}\n`);
  }
});

test('every document a --help text names exists', () => {
  const texts = ['--help', 'record', 'list', 'print', 'stats', 'export', 'ctl'].map((command) => {
    const run = command === '--help' ? cli(['--help']) : cli([command, '--help']);
    assert.equal(run.status, 0, run.stderr);
    return run.stdout;
  });
  const all = texts.join('\n');
  const paths = [...all.matchAll(/(\/[^\s(),;]+\.md)\b/g)].map((m) => m[1]);
  assert.ok(paths.length >= 5, `documents named: ${paths.join(' ')}`);
  for (const path of paths) assert.ok(existsSync(path), `--help names ${path}, which does not exist`);
  assert.doesNotMatch(all, /(?<![\w/.])docs\/\w/, 'a relative docs/ path, which means nothing where the command runs');
});
