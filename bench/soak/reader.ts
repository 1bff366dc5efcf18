/**
 * Reader mutation fuzzing (issue 12 §4): traces of the committed corpus, mutated by a seeded
 * generator (bit flips, truncation, zeroed pages, inserted bytes, big integers written over
 * fields), in stream files and in metadata, then read. Counted failures: a crash (anything but a
 * TracemarkError escaping), a hang (a case over the time bound; synchronous code cannot be
 * interrupted, so the bound is checked after the case), an allocation out of bounds (heap growth
 * of a case over the memory bound).
 *
 *   node dist/bench/soak/reader.js            small counts (CI runs them in test/read/)
 *   node dist/bench/soak/reader.js --soak     >= 100k cases
 *   options: --cases N  --seed S
 *
 * Prints a Markdown section (heading and table) on stdout; exit 1 when a case failed.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TracemarkError } from '../../src/errors/index.js';
import { compileTrace } from '../../src/read/decode/compiled-trace.js';
import { NEED_DATA, StreamReader } from '../../src/read/decode/stream.js';
import { parseMetadata } from '../../src/read/metadata/metadata.js';
import { readTraceSync } from '../../src/read/index.js';

export const MUTATIONS = ['bit-flips', 'truncation', 'zeroed-page', 'inserted-bytes', 'big-integer'] as const;
export type Mutation = typeof MUTATIONS[number];

export interface FuzzOptions {
  readonly cases: number;
  readonly seed: number;
  /** A case slower than this is a hang. */
  readonly caseLimitMs?: number;
  /** A case whose heap grows more than this allocated out of bounds. */
  readonly caseHeapLimitBytes?: number;
  /** Every Nth case also reads through the files (discovery, sources, merge), not only in memory. */
  readonly filesEvery?: number;
}

export interface FuzzFailure {
  readonly case: number;
  readonly kind: 'crash' | 'hang' | 'memory';
  readonly trace: string;
  readonly file: string;
  readonly mutation: Mutation;
  readonly detail: string;
}

export interface FuzzStats {
  cases: number;
  byMutation: Record<Mutation, { cases: number; metadata: number; stream: number; rejected: number; read: number }>;
  tracemarkErrors: number;
  cleanReads: number;
  eventsDecoded: number;
  failures: FuzzFailure[];
  maxCaseMs: number;
  maxHeapGrowthBytes: number;
  totalMs: number;
}

interface CorpusTrace {
  readonly name: string;
  readonly files: Map<string, Buffer>;
}

/** The committed corpus: every directory holding a `metadata` file. */
export function loadCorpus(root = defaultFixtures()): CorpusTrace[] {
  const traces: CorpusTrace[] = [];
  const visit = (dir: string): void => {
    const names = readdirSync(dir).sort();
    if (names.includes('metadata')) {
      const files = new Map<string, Buffer>();
      for (const n of names) {
        const p = join(dir, n);
        if (statSync(p).isFile() && !n.endsWith('.json') && !n.endsWith('.txt')) files.set(n, readFileSync(p));
      }
      traces.push({ name: relative(root, dir), files });
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) visit(p);
    }
  };
  for (const part of ['good', 'reader']) if (existsSync(join(root, part))) visit(join(root, part));
  return traces;
}

function defaultFixtures(): string {
  // dist/bench/soak/reader.js → the repository's test/fixtures/ctf (also when run from sources).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'test', 'fixtures', 'ctf'))) return join(dir, 'test', 'fixtures', 'ctf');
    dir = dirname(dir);
  }
  throw new Error('test/fixtures/ctf not found');
}

/** mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mutate(bytes: Buffer, mutation: Mutation, random: () => number): Buffer {
  const int = (n: number): number => Math.floor(random() * n);
  const out = Buffer.from(bytes);
  switch (mutation) {
    case 'bit-flips': {
      const flips = 1 + int(8);
      for (let i = 0; i < flips && out.length > 0; i++) out[int(out.length)] ^= 1 << int(8);
      return out;
    }
    case 'truncation':
      return out.subarray(0, int(out.length + 1));
    case 'zeroed-page': {
      const page = 4096;
      const start = random() < 0.5 ? int(Math.ceil(out.length / page)) * page : int(out.length);
      out.fill(0, Math.min(start, out.length), Math.min(out.length, start + page));
      return out;
    }
    case 'inserted-bytes': {
      const at = int(out.length + 1);
      const inserted = Buffer.alloc(1 + int(64));
      for (let i = 0; i < inserted.length; i++) inserted[i] = random() < 0.3 ? 0 : int(256);
      return Buffer.concat([out.subarray(0, at), inserted, out.subarray(at)]);
    }
    case 'big-integer': {
      // Sizes, lengths, counts: the fields an allocation could be sized by.
      if (out.length < 8) return out;
      const at = int(out.length - 7);
      const choices = [0xffffffffffffffffn, 1n << 63n, 0xffffffffn, 1n << 32n, 0x7fffffffn, 0n];
      const value = choices[int(choices.length)];
      if (random() < 0.5) out.writeBigUInt64LE(value, at);
      else out.writeUInt32LE(Number(value & 0xffffffffn), at);
      return out;
    }
  }
}

/** Reads a trace held in memory (metadata + stream files), the way the file sources feed the reader. */
function readInMemory(files: Map<string, Buffer>, chunkBytes: number): number {
  const trace = compileTrace(parseMetadata(files.get('metadata') as Buffer, 'metadata'));
  let events = 0;
  for (const [name, data] of files) {
    if (name === 'metadata') continue;
    const reader = new StreamReader(trace, name, name, data.length);
    for (;;) {
      const r = reader.next();
      if (r === null) break;
      if (r === NEED_DATA) {
        const offset = reader.needOffsetBytes;
        const length = Math.max(0, Math.min(data.length - offset, Math.max(reader.needBytes, chunkBytes)));
        reader.setWindow(data.subarray(offset, offset + length), offset, length);
        continue;
      }
      events++;
    }
    // Damage ends a stream with a TracemarkError kept by the reader, as readTrace reports it.
    if (reader.error !== undefined) throw reader.error;
  }
  if (trace.trace.damage !== undefined) throw trace.trace.damage;
  return events;
}

function readThroughFiles(files: Map<string, Buffer>, scratch: string): number {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  for (const [name, data] of files) writeFileSync(join(scratch, name), data);
  let events = 0;
  for (const event of readTraceSync(scratch)) {
    void event;
    events++;
  }
  return events;
}

export function runReaderFuzz(options: FuzzOptions, corpus = loadCorpus()): FuzzStats {
  const caseLimitMs = options.caseLimitMs ?? 5_000;
  const heapLimit = options.caseHeapLimitBytes ?? 256 * 1024 * 1024;
  const filesEvery = options.filesEvery ?? 25;
  const random = prng(options.seed);
  const stats: FuzzStats = {
    cases: 0,
    byMutation: Object.fromEntries(MUTATIONS.map((m) => [m, { cases: 0, metadata: 0, stream: 0, rejected: 0, read: 0 }])) as FuzzStats['byMutation'],
    tracemarkErrors: 0, cleanReads: 0, eventsDecoded: 0, failures: [], maxCaseMs: 0, maxHeapGrowthBytes: 0, totalMs: 0,
  };
  const scratch = mkdtempSync(join(tmpdir(), 'tracemark-fuzz-'));
  const started = performance.now();
  try {
    for (let i = 0; i < options.cases; i++) {
      const trace = corpus[Math.floor(random() * corpus.length)];
      const names = [...trace.files.keys()];
      // A third of the cases damage the metadata, the rest a stream file.
      const streams = names.filter((n) => n !== 'metadata');
      const file = random() < 1 / 3 || streams.length === 0 ? 'metadata' : streams[Math.floor(random() * streams.length)];
      const mutation = MUTATIONS[Math.floor(random() * MUTATIONS.length)];
      const files = new Map(trace.files);
      let damaged = mutate(files.get(file) as Buffer, mutation, random);
      if (random() < 0.2) damaged = mutate(damaged, MUTATIONS[Math.floor(random() * MUTATIONS.length)], random);
      files.set(file, damaged);
      const chunkBytes = [64, 4096, 1 << 20][Math.floor(random() * 3)];
      const viaFiles = i % filesEvery === 0;
      const per = stats.byMutation[mutation];
      per.cases++;
      if (file === 'metadata') per.metadata++;
      else per.stream++;
      const heapBefore = process.memoryUsage().heapUsed;
      const t0 = performance.now();
      try {
        stats.eventsDecoded += viaFiles ? readThroughFiles(files, scratch) : readInMemory(files, chunkBytes);
        stats.cleanReads++;
        per.read++;
      } catch (error) {
        if (error instanceof TracemarkError) {
          stats.tracemarkErrors++;
          per.rejected++;
        } else {
          stats.failures.push({ case: i, kind: 'crash', trace: trace.name, file, mutation, detail: String((error as Error)?.stack ?? error).slice(0, 500) });
        }
      }
      const ms = performance.now() - t0;
      const growth = process.memoryUsage().heapUsed - heapBefore;
      stats.cases++;
      if (ms > stats.maxCaseMs) stats.maxCaseMs = ms;
      if (growth > stats.maxHeapGrowthBytes) stats.maxHeapGrowthBytes = growth;
      if (ms > caseLimitMs) stats.failures.push({ case: i, kind: 'hang', trace: trace.name, file, mutation, detail: `${ms.toFixed(0)} ms` });
      if (growth > heapLimit) stats.failures.push({ case: i, kind: 'memory', trace: trace.name, file, mutation, detail: `heap +${(growth / 2 ** 20).toFixed(0)} MiB` });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  stats.totalMs = performance.now() - started;
  return stats;
}

export function markdown(stats: FuzzStats, options: FuzzOptions): string {
  const lines = [
    '## Reader: mutation fuzzing',
    '',
    `${stats.cases} cases, seed ${options.seed}, corpus test/fixtures/ctf/{good,reader}, ${(stats.totalMs / 1000).toFixed(1)} s ` +
      `(machine shared with other work: times are noisy). Max case ${stats.maxCaseMs.toFixed(0)} ms, max heap growth of a case ` +
      `${(stats.maxHeapGrowthBytes / 2 ** 20).toFixed(1)} MiB; ${stats.eventsDecoded} events decoded in all.`,
    '',
    '| mutation | cases | in metadata | in a stream | read without damage | damage reported (TracemarkError) | crashes | hangs | out-of-bound allocations |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const m of MUTATIONS) {
    const s = stats.byMutation[m];
    const f = (kind: FuzzFailure['kind']): number => stats.failures.filter((x) => x.mutation === m && x.kind === kind).length;
    lines.push(`| ${m} | ${s.cases} | ${s.metadata} | ${s.stream} | ${s.read} | ${s.rejected} | ${f('crash')} | ${f('hang')} | ${f('memory')} |`);
  }
  const total = (kind: FuzzFailure['kind']): number => stats.failures.filter((x) => x.kind === kind).length;
  lines.push(`| **all** | ${stats.cases} | | | ${stats.cleanReads} | ${stats.tracemarkErrors} | ${total('crash')} | ${total('hang')} | ${total('memory')} |`);
  for (const f of stats.failures.slice(0, 10)) lines.push('', `- case ${f.case} (${f.kind}, ${f.mutation} in ${f.trace}/${f.file}): ${f.detail}`);
  return `${lines.join('\n')}\n`;
}

function main(argv: string[]): number {
  const soak = argv.includes('--soak');
  const value = (name: string): number | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const options: FuzzOptions = { cases: value('--cases') ?? (soak ? 100_000 : 2_000), seed: value('--seed') ?? 20261201 };
  const stats = runReaderFuzz(options);
  process.stdout.write(markdown(stats, options));
  return stats.failures.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
