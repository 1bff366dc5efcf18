/**
 * docs/node.md's table of `node:*` markers is what the integration declares: every marker, with
 * its exact format string (users write filters and readers against those field names).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { registry, Session } from '../../src/index.js';
import { nodeMarkerNames } from '../../src/integrations/node/index.js';
import { repoRoot } from '../write/helpers.js';

function documentedFormats(): Map<string, string> {
  const text = readFileSync(join(repoRoot, 'docs', 'node.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const match of text.matchAll(/^\| `(node:[^`]+)` \| `([^`]*)` \|/gm)) {
    assert.ok(!rows.has(match[1]), `${match[1]} is listed twice`);
    rows.set(match[1], match[2]);
  }
  return rows;
}

test('docs/node.md lists every node:* marker with the format it is declared with', async () => {
  const session = new Session();
  try {
    session.enable('node:*').start(); // declares the markers of every source this Node has
    const declared = new Map(nodeMarkerNames().map((name) => [name, registry.get(name)?.format]));
    for (const [name, format] of declared) assert.notEqual(format, undefined, `${name} was not declared by start()`);
    const documented = documentedFormats();
    assert.deepEqual([...documented.keys()].sort(), [...declared.keys()].sort(), 'the same markers');
    for (const [name, format] of declared) assert.equal(documented.get(name), format, `the format of ${name} in docs/node.md`);
  } finally {
    await session.close();
  }
});
