/**
 * Bad input (issue 12, section 4): seeded fast-check runs against the parsers and entry points
 * that take outside input. Each case must return normally or throw a TracemarkError (or the
 * control protocol's own error) with a code: never another exception, never a hang.
 *  - control request lines: random text, random JSON, requests with random-typed fields;
 *  - control commands run in-process (enable/disable/start/stop/snapshot/close with random
 *    patterns, filters and paths);
 *  - filter expressions: random text and token soup;
 *  - marker names and format strings: random text and `name %spec` soup.
 *
 *   node dist/bench/soak/fuzz.js           # 1,000 cases per target
 *   node dist/bench/soak/fuzz.js --soak    # 100,000 cases per target (control commands: 10,000)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { ControlCommands } from '../../src/control/commands.js';
import { ProtocolError, parseRequest, replyForError, COMMANDS } from '../../src/control/protocol.js';
import { TracemarkError } from '../../src/errors/index.js';
import { parseFilter } from '../../src/filter/index.js';
import { parseFormat, validateMarkerName } from '../../src/format/parse.js';

export interface FuzzRow { target: string; cases: number; accepted: number; refused: number; failures: string[]; ms: number }

function expected(error: unknown): boolean {
  return (error instanceof TracemarkError || error instanceof ProtocolError) && typeof (error as { code?: unknown }).code === 'string';
}

function runSync(target: string, cases: number, seed: number, arbitrary: fc.Arbitrary<string>, body: (input: string) => void): FuzzRow {
  const row: FuzzRow = { target, cases: 0, accepted: 0, refused: 0, failures: [], ms: 0 };
  const started = performance.now();
  fc.assert(fc.property(arbitrary, (input) => {
    row.cases++;
    try {
      body(input);
      row.accepted++;
    } catch (error) {
      if (expected(error)) row.refused++;
      else if (row.failures.length < 5) row.failures.push(`${JSON.stringify(input).slice(0, 200)}: ${String(error)}`);
    }
    return true;
  }), { numRuns: cases, seed });
  row.ms = performance.now() - started;
  return row;
}

const soup = (parts: string[]): fc.Arbitrary<string> =>
  fc.array(fc.oneof(fc.constantFrom(...parts), fc.string({ maxLength: 4 })), { maxLength: 12 }).map((a) => a.join(''));

const filterSoup = soup(['len', ' ', '>', '<', '==', '!=', '&&', '||', '!', '(', ')', '"tcp"', '42', '-1', '0x1f', '$ctx.vpid', '*', 'proto', '1e308', 'true', "'x'"]);
const formatSoup = soup(['a', ' ', '%u', '%d', '%s', '%pW', '%lld', '%llx', '%c', '%f', 'x', '_x_length', '__proto__', 'Bool', '%', '%%', '%q', '\t']);
const nameSoup = soup(['net', ':', 'rx', '.', '_', '*', ' ', '9', 'é', ':', '__proto__']);

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const fieldValue = fc.oneof({ weight: 12, arbitrary: fc.string({ maxLength: 20 }) }, fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), jsonValue);
const requestObject = fc.record({
  v: fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fieldValue }),
  id: fc.oneof({ weight: 6, arbitrary: fc.integer() }, fc.string({ maxLength: 300 }), fc.constant(null), fieldValue),
  cmd: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...COMMANDS) }, { weight: 1, arbitrary: fieldValue }),
  pattern: fieldValue, filter: fieldValue, output: fieldValue, dir: fieldValue, name: fieldValue,
}, { requiredKeys: ['v', 'cmd'] });
const requestLine = fc.oneof(
  fc.string({ maxLength: 200 }),
  jsonValue.map((v) => JSON.stringify(v)),
  requestObject.map((o) => JSON.stringify(o)),
);

/** Control commands executed for real, with paths kept under `base`. */
async function runCommands(cases: number, seed: number): Promise<FuzzRow> {
  const base = mkdtempSync(join(tmpdir(), 'tracemark-fuzz-'));
  const row: FuzzRow = { target: 'control commands (run in-process)', cases: 0, accepted: 0, refused: 0, failures: [], ms: 0 };
  const started = performance.now();
  const commands = new ControlCommands();
  try {
    const path = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 8 }), fc.nat(50).map((n) => join(base, `d${n}`)));
    const request = fc.record({
      cmd: fc.constantFrom(...COMMANDS),
      pattern: fc.oneof(nameSoup, fc.constantFrom('*', 'fuzz:*', '*a*a*a*a*a*b')),
      filter: fc.oneof(fc.constant(undefined), filterSoup),
      output: path,
      dir: path,
    });
    const samples = fc.sample(request, { numRuns: cases, seed });
    for (const sample of samples) {
      row.cases++;
      const line = JSON.stringify({ v: 1, id: row.cases, ...sample });
      try {
        await commands.run(parseRequest(line));
        row.accepted++;
      } catch (error) {
        if (expected(error)) row.refused++;
        else if (row.failures.length < 5) row.failures.push(`${line.slice(0, 200)}: ${String(error)}`);
      }
    }
  } finally {
    await commands.closeSession().catch(() => {});
    rmSync(base, { recursive: true, force: true });
  }
  row.ms = performance.now() - started;
  return row;
}

export async function fuzzAll(cases: number, commandCases: number, seed = 42): Promise<FuzzRow[]> {
  return [
    runSync('control request lines (parseRequest + replyForError)', cases, seed, requestLine, (line) => {
      try {
        parseRequest(line);
      } catch (error) {
        const reply = replyForError(error, null);
        if (reply.ok !== false || typeof reply.code !== 'string') throw new Error('bad error reply');
        throw error;
      }
    }),
    await runCommands(commandCases, seed),
    runSync('filter expressions (random text)', cases, seed, fc.string({ maxLength: 60 }), (text) => { parseFilter(text); }),
    runSync('filter expressions (token soup)', cases, seed, filterSoup, (text) => { parseFilter(text); }),
    runSync('format strings (random text and spec soup)', cases, seed, fc.oneof(fc.string({ maxLength: 40 }), formatSoup), (text) => { parseFormat(text); }),
    runSync('marker names', cases, seed, fc.oneof(fc.string({ maxLength: 30 }), nameSoup), (text) => { validateMarkerName(text); }),
  ];
}

export function fuzzMarkdown(rows: FuzzRow[]): string {
  return `## Bad input: parsers and control commands (fast-check, seeded)

| target | cases | accepted | refused with a code | other exceptions | time |
|---|---:|---:|---:|---:|---:|
${rows.map((r) => `| ${r.target} | ${r.cases} | ${r.accepted} | ${r.refused} | ${r.failures.length === 0 ? 0 : `**${r.failures.length}+**`} | ${(r.ms / 1000).toFixed(1)} s |`).join('\n')}
${rows.flatMap((r) => r.failures.map((f) => `\n- **${r.target}**: ${f}`)).join('')}
`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const soak = process.argv.includes('--soak');
  const rows = await fuzzAll(soak ? 100_000 : 1000, soak ? 10_000 : 300);
  process.stdout.write(fuzzMarkdown(rows));
  process.exitCode = rows.every((r) => r.failures.length === 0) ? 0 : 1;
}
