/**
 * Section 0 of docs/RELIABILITY.md, printed by the suite: the defects found by trying tracemark
 * as a new user would, what is done about each, and the result, now, of the tests that pin it
 * (test/reliability/*.test.ts and a few others, run here through node:test). A defect whose pinning test fails or
 * is skipped says so in its row; the exit status is 1 when one fails.
 *
 *   node dist/bench/soak/defects.js      (also part of `npm run soak`; same counts either way)
 *
 * Some tests need root (a tmpfs for the full disk, a second user for EACCES): without it they
 * are skipped, and the rows say "skipped", not "passed".
 */
import { join } from 'node:path';
import { run } from 'node:test';
import { fileURLToPath } from 'node:url';

interface Pin {
  /** test/<file>.test.ts */
  file: string;
  /** The beginning of the test's name. */
  test: string;
}

interface Defect {
  defect: string;
  now: string;
  pins: Pin[];
  /** Where it is pinned or shown, as docs/RELIABILITY.md says it. */
  where: string;
}

const DEFECTS: Defect[] = [
  {
    defect: "disk full leaves a half-written last packet: babeltrace2 refuses the whole stream",
    now: "a short write or an error is undone (`ftruncate` back to the last whole packet); every packet written before is read",
    pins: [{ file: "reliability/write-faults", test: "disk full: the stream file ends on its last whole packet" }],
    where: "write-faults: *disk full: the stream file ends on its last whole packet*",
  },
  {
    defect: "after the fault, `process.exit()`: no message, `session.error` null",
    now: "the drainer thread leaves the reason in shared memory; the exit path reports it: `session.error` set, one `[ERR_TRACE_IO]` warning written synchronously",
    pins: [{ file: "reliability/write-faults", test: "disk full, then process.exit()" }],
    where: "write-faults: *disk full, then process.exit()*",
  },
  {
    defect: "metadata cut by a full disk (babeltrace2 2.0.4 spins at 100 % CPU on it)",
    now: "metadata packets are all-or-nothing too; the session stops with ERR_TRACE_IO",
    pins: [{ file: "reliability/write-faults", test: "disk full while appending metadata" }],
    where: "write-faults: *disk full while appending metadata*",
  },
  {
    defect: "a failed `start()` leaks an fd and leaves an empty `metadata`",
    now: "everything it created is closed and removed (and the directory when it made it)",
    pins: [{ file: "reliability/write-faults", test: "the output path is an existing file" }, { file: "reliability/write-faults", test: "an existing non-empty trace directory" }, { file: "reliability/write-faults", test: "a read-only file system" }, { file: "reliability/write-faults", test: "a directory another user owns" }],
    where: "write-faults: *output path is an existing file*, *non-empty directory*, *read-only*, *EACCES*",
  },
  {
    defect: "the drainer writes a newer packet before an older one",
    now: "after taking the oldest committed packet the drainer scans again: an older packet committed meanwhile goes first (an older one cannot still be `writing` once a newer is committed)",
    pins: [{ file: "reliability/drain-order", test: "tiny sub-buffers, a hot loop, the drainer racing it" }],
    where: "drain-order (discard and overwrite; the old code failed it about one run in three)",
  },
  {
    defect: "`x %pW _x_length %u` declares `__x_length` twice (babeltrace2 aborts)",
    now: "refused at declaration: ERR_FORMAT with the offset of the second of the two fields",
    pins: [{ file: "reliability/defects", test: "a field named like the length of a blob" }, { file: "reliability/defects", test: "a blob next to a field named like another blob" }],
    where: "defects: *a field named like the length of a blob*",
  },
  {
    defect: "`start()` again after a failed `start()` records silently into the rings",
    now: "it tries again and throws again while the cause remains; after a fault while writing, `start()` throws ERR_SESSION_STATE (also through `ctl start`, which calls it)",
    pins: [{ file: "reliability/defects", test: "start() after a failed start()" }, { file: "reliability/defects", test: "ctl start after a failed start" }],
    where: "write-faults (every start-time case), defects: *start() after a failed start()*, *ctl start after a failed start*",
  },
  {
    defect: "SIGTERM/SIGINT/SIGHUP lose what is buffered when the app has no handler",
    now: "flushed, then the signal is raised again with its default action (the process ends killed by it); an app handler is left alone",
    pins: [{ file: "reliability/process-end", test: "SIGTERM with no handler" }, { file: "reliability/process-end", test: "SIGINT with no handler" }, { file: "reliability/process-end", test: "SIGHUP with no handler" }, { file: "reliability/process-end", test: "SIGTERM with a handler of the app" }],
    where: "process-end: SIGTERM, SIGINT, SIGHUP, own handler",
  },
  {
    defect: "two processes starting on one directory can both be accepted",
    now: "the files are created with O_EXCL (`metadata` first): exactly one wins, the other gets ERR_TRACE_IO",
    pins: [{ file: "reliability/defects", test: "two processes starting on one directory" }],
    where: "defects: *two processes starting on one directory* (3 processes, 4 rounds)",
  },
  {
    defect: "every enable/disable adds a rule for ever (6 ms a toggle after 20k)",
    now: "a new rule removes the rules it hides for good (same pattern, a channel it covers): toggling keeps the list at its size",
    pins: [{ file: "reliability/defects", test: "20,000 enable/disable toggles" }],
    where: "defects: *20,000 toggles*; soak *scale*",
  },
  {
    defect: "glob patterns compiled to backtracking regexes (`'*a'.repeat(10)+'*c'`: 38 s)",
    now: "a linear matcher: the literal pieces found left to right, first occurrence each",
    pins: [{ file: "reliability/defects", test: "glob patterns match in linear time" }],
    where: "defects: *glob patterns match in linear time*; soak *scale*",
  },
  {
    defect: "100k markers: `start()` 11 s, one `disable()` 12.6 s",
    now: "a rule change recomputes only the markers its pattern matches (a literal pattern: one lookup); beyond 512 markers turned on at once for the first time, fire functions are compiled at first fire",
    pins: [],
    where: "soak *scale* (figures below)",
  },
  {
    defect: "a name or format whose `toString` throws escapes from `marker()`",
    now: "error messages describe values without running user code: ERR_FORMAT",
    pins: [{ file: "reliability/defects", test: "a name or format object whose toString throws" }],
    where: "defects: *a name or format object whose toString throws*",
  },
  {
    defect: "a detached `Uint8Array` for `%pW` counted as `internalErrors` (written + discarded \u2260 fired)",
    now: "written as an empty blob (its length is 0)",
    pins: [{ file: "reliability/defects", test: "a detached Uint8Array for %pW" }],
    where: "defects: *a detached Uint8Array*",
  },
  {
    defect: "11 sessions print `MaxListenersExceededWarning`",
    now: "one `exit` listener for every writer, control socket and relay sender (`src/exit`)",
    pins: [{ file: "reliability/defects", test: "eleven sessions writing traces" }],
    where: "defects: *eleven sessions*",
  },
  {
    defect: "a stale control socket file after SIGTERM",
    now: "the socket is removed by the same end-of-process hook as the traces",
    pins: [{ file: "reliability/process-end", test: "SIGTERM with no handler" }],
    where: "process-end: *no stale socket*",
  },
  {
    defect: "`record` cannot stop an app in a synchronous loop that never yields",
    now: "documented, not solved: signal listeners are JavaScript and run when the loop yields; the drainer thread keeps writing closed packets meanwhile; SIGKILL ends it at once",
    pins: [],
    where: "docs/api.md, docs/cli.md",
  },
  {
    defect: "(found by the argument soak) a 100 MB string, worse a rope (`big + '!'`), given to a number field, `%c` or `%pW` stalled one fire for 0.1-0.7 s (parsed, flattened or UTF-8-encoded whole)",
    now: "a string of more than 1024 characters is 0 for a number and U+FFFD for `%c` without being read; one longer than the channel's largest event is dropped as too large for `%pW` without being encoded (docs/api.md, \"Bad input at fire time\")",
    pins: [{ file: "reliability/defects", test: "a huge string for a number" }],
    where: "defects: *a huge string for a number, a %c or a %pW*; argument soak (longest fire 48 ms in 100k cases, was 1.2 s in 5k)",
  },
  {
    defect: "(found by the worker work) the main thread's `process.exit()` while workers run lost the packet each had open, without a count; so did `close()` for a worker busy in a synchronous loop, and a worker's losses after its last packet (its ring full)",
    now: "at exit the session stops recording in every thread; the packet each worker left open becomes an empty packet counting its events as discarded; losses a worker counted after its last packet (published in its ring's control cells) get a packet of their own after the drain",
    pins: [{ file: "threads/workers", test: "process.exit() in the main thread while workers run" }, { file: "threads/workers", test: "session.close() while a worker is busy" }, { file: "write/exit-seal", test: "a full ring whose producer stopped" }, { file: "write/exit-seal", test: "a packet left open after losses" }],
    where: "workers: *process.exit() in the main thread while workers run*, *session.close() while a worker is busy*; exit-seal",
  },
  {
    defect: "(found by the control review) one client keeping all 16 control connections busy keeps every other client out",
    now: "when all are busy, the connection open the longest gives way to a new client after a 2 s turn, closed after its reply in progress and told why",
    pins: [{ file: "control/fairness", test: "every connection kept busy" }],
    where: "fairness: *every connection kept busy*; soak *kept busy* phase (section 5)",
  },
];

const TESTS_DIR = fileURLToPath(new URL('../../test/', import.meta.url));

type Outcome = 'passed' | 'failed' | 'skipped';

/** Runs the pinning test files once; the outcome of every test by name (a name seen twice: the worse). */
async function outcomes(files: readonly string[]): Promise<Map<string, Outcome>> {
  const byName = new Map<string, Outcome>();
  const note = (name: string, outcome: Outcome): void => {
    const before = byName.get(name);
    if (before === 'failed' || (before === 'skipped' && outcome === 'passed')) return;
    byName.set(name, outcome);
  };
  const stream = run({ files: files.map((f) => join(TESTS_DIR, `${f}.test.js`)), concurrency: 1 });
  stream.on('test:pass', (event: { name: string; skip?: boolean | string; todo?: boolean | string }) => {
    note(event.name, event.skip !== undefined && event.skip !== false ? 'skipped' : 'passed');
  });
  stream.on('test:fail', (event: { name: string }) => note(event.name, 'failed'));
  // Draining the stream runs the tests; the events above carry what is needed.
  for await (const _ of stream) { /* events handled above */ }
  return byName;
}

function resultOf(defect: Defect, byName: Map<string, Outcome>): { text: string; failed: boolean } {
  if (defect.pins.length === 0) return { text: 'no test (see the previous column)', failed: false };
  const counts: Record<Outcome | 'missing', string[]> = { passed: [], failed: [], skipped: [], missing: [] };
  for (const pin of defect.pins) {
    const matching = [...byName].filter(([name]) => name.startsWith(pin.test));
    if (matching.length === 0) counts.missing.push(pin.test);
    for (const [name, outcome] of matching) counts[outcome].push(name);
  }
  const total = counts.passed.length + counts.failed.length + counts.skipped.length;
  const parts = [`${counts.passed.length} of ${total} passed`];
  if (counts.skipped.length > 0) parts.push(`${counts.skipped.length} skipped (${counts.skipped.map((n) => `*${n}*`).join(', ')})`);
  if (counts.failed.length > 0) parts.push(`**FAILED**: ${counts.failed.map((n) => `*${n}*`).join(', ')}`);
  if (counts.missing.length > 0) parts.push(`**no such test**: ${counts.missing.map((n) => `*${n}*`).join(', ')}`);
  return { text: parts.join('; '), failed: counts.failed.length > 0 || counts.missing.length > 0 };
}

const files = [...new Set(DEFECTS.flatMap((d) => d.pins.map((p) => p.file)))].sort();
const started = Date.now();
const byName = await outcomes(files);
const lines = [
  '## Defects found by trying it (section 0), and the tests that pin them, run now',
  '',
  `The tests of ${files.map((f) => `test/${f}.test.ts`).join(', ')} (${byName.size} tests, ${((Date.now() - started) / 1000).toFixed(0)} s), each pinning row's result from this run.`,
  '',
  '| defect | now | pinned by | result |',
  '|---|---|---|---|',
];
let failed = 0;
for (const defect of DEFECTS) {
  const result = resultOf(defect, byName);
  if (result.failed) failed++;
  lines.push(`| ${defect.defect} | ${defect.now} | ${defect.where} | ${result.text} |`);
}
lines.push('', failed === 0 ? 'Every pinning test ran and passed (or was skipped, as said).' : `${failed} defects have a failing or missing pinning test.`);
process.stdout.write(lines.join('\n') + '\n');
process.exitCode = failed === 0 ? 0 : 1;
