// The reader's layout: sub-folders per part (metadata, decode, input, merge, summary, print),
// imports between its files form no cycle (checked on the built files, type-only imports are
// erased there, so the sources are scanned too when they sit beside dist).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');
const IMPORT = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]*?)\.js['"]/g;

function sourcesUnder(dir: string, ext: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourcesUnder(path, ext, out);
    else if (name.endsWith(ext) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function findCycle(dir: string, ext: string): string[] | undefined {
  const graph = new Map<string, string[]>();
  for (const file of sourcesUnder(dir, ext)) {
    const key = file.slice(0, -ext.length);
    const targets: string[] = [];
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) targets.push(normalize(join(dirname(file), m[1]!)));
    graph.set(key, targets);
  }
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 1);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 1) return [...stack.slice(stack.indexOf(next)), next].map((p) => relative(dir, p));
      if (state.get(next) === undefined) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 2);
    return undefined;
  };
  for (const node of graph.keys()) {
    if (state.get(node) === undefined) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return undefined;
}

test('src/read has one sub-folder per part, and index.ts as its facade', () => {
  const builtRead = join(repoRoot, 'dist', 'src', 'read');
  const parts = readdirSync(builtRead).filter((n) => statSync(join(builtRead, n)).isDirectory()).sort();
  for (const part of ['decode', 'input', 'merge', 'metadata', 'print', 'summary']) assert.ok(parts.includes(part), `missing src/read/${part}`);
  assert.ok(existsSync(join(builtRead, 'index.js')));
});

test('no import cycle inside src/read (built files, and sources with type imports when present)', () => {
  assert.equal(findCycle(join(repoRoot, 'dist', 'src', 'read'), '.js'), undefined);
  const sources = join(repoRoot, 'src', 'read');
  if (existsSync(sources)) assert.equal(findCycle(sources, '.ts'), undefined);
});
