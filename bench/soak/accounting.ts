/**
 * Accounting under pressure (issue 12, section 3), main thread: 10 markers, 3 sessions with tiny
 * channels (two writing traces in discard mode, one flight recorder in overwrite mode with a
 * snapshot every second), rules and `tracing.enabled` toggled from timers every few ms. The run
 * keeps its own model of what each channel should receive, so that per channel
 * `written + discarded == fired` is checked exactly; babeltrace2 then reads the traces back with
 * their discarded-event counts, and every snapshot. RSS is sampled every second.
 *
 *   node dist/bench/soak/accounting.js            # 5 s
 *   node dist/bench/soak/accounting.js --soak     # 60 s
 * Prints a Markdown section; exit status 1 when a check failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { marker, Session, tracing, type SessionOptions } from '../../src/index.js';
import { readTraceSync, type DiscardedInfo } from '../../src/read/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..', ...(import.meta.url.includes('/dist/') ? ['..'] : []));
const ctfcheckPath = join(repoRoot, 'test', 'support', 'ctfcheck.py');

export interface ChannelResult {
  session: string;
  channel: string;
  mode: string;
  fired: number;
  written: number;
  discarded: number;
  ok: boolean;
}

export interface AccountingResult {
  durationMs: number;
  fired: number;
  toggles: number;
  globalToggles: number;
  snapshots: number;
  snapshotsChecked: number;
  channels: ChannelResult[];
  traces: { session: string; events: number; discarded: number; firstPacketLost: number; ok: boolean; output: string }[];
  /** Per worker thread and trace: what babeltrace2 read of its streams against its own count. */
  threads: ThreadResult[];
  rssMiB: number[];
  failures: string[];
}

export interface ThreadResult {
  session: string;
  thread: number;
  channels: number;
  /** Fires while tracing was on, times the session's channels (each channel gets each event). */
  expected: number;
  /** Fires during a flip of tracing.enabled (either state possible), times the channels. */
  ambiguous: number;
  written: number;
  discarded: number;
  /** Of `discarded`: lost in a stream's first packet (babeltrace2 gives no count; tracemark's reader does). */
  firstPacketLost: number;
  ok: boolean;
}

/**
 * Losses per thread as tracemark's reader reports them, split as babeltrace2 can count them:
 * a loss in a stream's first packet is one babeltrace2 reports as "may have discarded" without
 * a count (there is no earlier packet to subtract from), so its count comes from our reader.
 */
interface ReaderLosses { counted: number; firstPacket: number; firstPacketReports: number; events: Map<string, number> }

function readerLosses(dir: string, threadOf: (stream: string) => number | undefined): Map<number, ReaderLosses> | string {
  const byThread = new Map<number, ReaderLosses>();
  const of = (thread: number): ReaderLosses => {
    let entry = byThread.get(thread);
    if (entry === undefined) byThread.set(thread, entry = { counted: 0, firstPacket: 0, firstPacketReports: 0, events: new Map() });
    return entry;
  };
  try {
    const main = of(0);
    for (const event of readTraceSync(dir, {
      onDiscarded: (info: DiscardedInfo) => {
        if (info.kind !== 'events') return;
        const entry = of(threadOf(info.stream) ?? 0);
        if (info.uncounted === true) {
          entry.firstPacket += Number(info.count);
          entry.firstPacketReports++;
        } else entry.counted += Number(info.count);
      },
    })) main.events.set(event.name, (main.events.get(event.name) ?? 0) + 1);
  } catch (error) {
    return `tracemark's reader: ${(error as Error).message}`;
  }
  return byThread;
}

interface WorkerCount { index: number; exact: number; ambiguous: number; total: number }

/** A tiny deterministic generator (mulberry32): the run is the same for one seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ctfcheck(dirs: string[], ...args: string[]): { status: number; output: string } {
  const result = spawnSync('/usr/bin/python3', [ctfcheckPath, ...dirs, '--timeout', '900', ...args], { encoding: 'utf8', timeout: 1_000_000, maxBuffer: 512 * 1024 * 1024 });
  const output = `${result.stdout}${result.stderr}`.trim();
  return { status: result.status ?? -1, output: output === '' ? `ctfcheck ended with status ${result.status}, signal ${result.signal}` : output };
}

export async function accountingSoak(durationMs: number, seed = 12, workerCount = 2): Promise<AccountingResult> {
  const base = mkdtempSync(join(tmpdir(), 'tracemark-soak-'));
  const failures: string[] = [];
  const rand = random(seed);
  try {
    const names = Array.from({ length: 10 }, (_, i) => `soak:m${i}`);
    const markers = names.map((name, i) => (i % 3 === 2 ? marker(name, 'i %u b %pW') : marker(name, 'i %u s %s')));
    const blob = new Uint8Array(40).fill(7);
    // Larger than the 256- and 512-byte sub-buffers, not than the 1024-byte one: dropped as too
    // large at once, in the first packet of three channels (see readerLosses).
    const oversized = marker('soak:oversized', 'b %pW') as (b: Uint8Array) => void;
    const oversizedBlob = new Uint8Array(700);
    const specs: { name: string; options: SessionOptions }[] = [
      { name: 'writerA', options: { output: join(base, 'A'), channels: { default: { subbufSize: 512, subbufCount: 2 }, b: { subbufSize: 1024, subbufCount: 3 } } } },
      { name: 'writerB', options: { output: join(base, 'B'), channels: { default: { subbufSize: 256, subbufCount: 4 } } } },
      { name: 'recorder', options: { channels: { default: { subbufSize: 512, subbufCount: 4, mode: 'overwrite' as const } } } },
    ];
    const sessions = specs.map((spec) => ({
      name: spec.name,
      session: new Session({ ...spec.options, name: spec.name }),
      /** The model: per channel, the marker names its rules enable. */
      enabled: new Map<string, Set<string>>(),
      fired: new Map<string, number>(),
    }));
    for (const s of sessions) {
      for (const channel of s.session.channels) {
        s.session.enable('soak:*', { channel: channel.name });
        s.enabled.set(channel.name, new Set(names));
        s.fired.set(channel.name, 0);
      }
      // Markers of the worker threads: on for the whole run (their rules reach a worker when it
      // starts; toggles reach a busy worker only when it yields, which no model could follow).
      for (const channel of s.session.channels) s.session.enable('soakw:*', { channel: channel.name });
      s.session.start();
    }
    let fired = 0;
    for (const s of sessions) for (const [channel] of s.enabled) s.fired.set(channel, s.fired.get(channel)! + 1);
    oversized(oversizedBlob);
    fired++;
    const seq = new Int32Array(new SharedArrayBuffer(4));
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const workers = Array.from({ length: workerCount }, (_, index) => {
      const worker = new Worker(new URL('./support/accounting-worker.js', import.meta.url), { workerData: { index, seq, stop } });
      const counted = new Promise<WorkerCount>((resolveCount, rejectCount) => {
        worker.once('message', resolveCount);
        worker.once('error', rejectCount);
      });
      const exited = new Promise<void>((resolveExit) => worker.once('exit', () => resolveExit()));
      return { worker, threadId: worker.threadId, counted, exited };
    });
    let toggles = 0;
    let globalToggles = 0;
    const toggleTimer = setInterval(() => {
      const s = sessions[Math.floor(rand() * sessions.length)];
      const name = names[Math.floor(rand() * names.length)];
      const channels = s.session.channels.map((c) => c.name);
      if (rand() < 0.5) {
        const channel = channels[Math.floor(rand() * channels.length)];
        s.session.enable(name, { channel });
        s.enabled.get(channel)!.add(name);
      } else {
        s.session.disable(name);
        for (const channel of channels) s.enabled.get(channel)!.delete(name);
      }
      toggles++;
    }, 2);
    const globalTimer = setInterval(() => {
      Atomics.add(seq, 0, 1); // odd: flipping (see support/accounting-worker.ts)
      tracing.enabled = !tracing.enabled;
      Atomics.add(seq, 0, 1);
      globalToggles++;
    }, 7);
    let snapshots = 0;
    const snapshotDirs: string[] = [];
    const pendingSnapshots: Promise<unknown>[] = [];
    const snapshotTimer = setInterval(() => {
      const dir = join(base, `snap-${snapshots++}`);
      snapshotDirs.push(dir);
      pendingSnapshots.push(sessions[2].session.snapshot(dir).catch((error: Error) => failures.push(`snapshot ${dir}: ${error.message}`)));
    }, 1000);
    const rssMiB: number[] = [];
    const rssTimer = setInterval(() => rssMiB.push(Math.round(process.memoryUsage().rss / 1048576)), 1000);

    const started = Date.now();
    while (Date.now() - started < durationMs) {
      for (let k = 0; k < 300; k++) {
        const m = Math.floor(rand() * markers.length);
        const name = names[m];
        if (tracing.enabled) {
          for (const s of sessions) {
            for (const [channel, set] of s.enabled) if (set.has(name)) s.fired.set(channel, s.fired.get(channel)! + 1);
          }
        }
        if (m % 3 === 2) (markers[m] as (i: number, b: Uint8Array) => void)(fired, blob);
        else (markers[m] as (i: number, s: string) => void)(fired, 'payload');
        fired++;
      }
      // A timer turn, not setImmediate: it bounds the rate (about 300 events per ms), so that
      // babeltrace2 can read a 60 s trace back on a loaded machine in reasonable time.
      await new Promise((resolveTurn) => setTimeout(resolveTurn, 1));
    }
    clearInterval(toggleTimer);
    clearInterval(globalTimer);
    clearInterval(snapshotTimer);
    clearInterval(rssTimer);
    tracing.enabled = true;
    Atomics.store(stop, 0, 1);
    const workerCounts: WorkerCount[] = [];
    for (const w of workers) {
      try {
        workerCounts.push(await w.counted);
      } catch (error) {
        failures.push(`worker ${w.threadId}: ${(error as Error).message}`);
      }
      await w.exited;
    }
    await Promise.all(pendingSnapshots);
    for (const s of sessions) await s.session.close();

    const channels: ChannelResult[] = [];
    for (const s of sessions) {
      const stats = s.session.stats().channels;
      for (const channel of s.session.channels) {
        const { written, discarded } = stats[channel.name];
        const expected = s.fired.get(channel.name)!;
        const ok = written + discarded === expected;
        if (!ok) failures.push(`${s.name}/${channel.name}: written ${written} + discarded ${discarded} != fired ${expected}`);
        channels.push({ session: s.name, channel: channel.name, mode: channel.mode, fired: expected, written, discarded, ok });
      }
      if (s.session.error !== null) failures.push(`${s.name}: ${s.session.error.message}`);
    }
    const traces: AccountingResult['traces'] = [];
    const threads: ThreadResult[] = [];
    for (const s of sessions.slice(0, 2)) {
      const rows = channels.filter((c) => c.session === s.name);
      const events = rows.reduce((sum, c) => sum + c.written, 0);
      const discarded = rows.reduce((sum, c) => sum + c.discarded, 0);
      // One read of the whole trace (main and worker streams); the counts split by thread:
      // each worker fires its own marker, into streams named <channel>_<threadId>.
      const check = ctfcheck([s.session.output!], '--json');
      let summary: { events: number; classes: Record<string, number>; discarded_events: { count: number | null; stream: string }[]; failures: string[]; warnings: string[]; error?: string | null } | undefined;
      try {
        summary = JSON.parse(check.output.slice(check.output.indexOf('{'))) as typeof summary;
      } catch {
        summary = undefined;
      }
      if (summary === undefined) {
        failures.push(`babeltrace2 on ${s.name} (status ${check.status}): ${check.output.slice(0, 500)}`);
        traces.push({ session: s.name, events, discarded, firstPacketLost: 0, ok: false, output: check.output });
        continue;
      }
      const threadOf = (stream: string): number | undefined => {
        const match = /_(\d+)$/.exec(stream); // the main thread's streams are <channel>_0
        return match === null ? undefined : Number(match[1]);
      };
      const ours = readerLosses(s.session.output!, threadOf);
      if (typeof ours === 'string') {
        failures.push(`${s.name}: ${ours}`);
        traces.push({ session: s.name, events, discarded, firstPacketLost: 0, ok: false, output: ours });
        continue;
      }
      const none: ReaderLosses = { counted: 0, firstPacket: 0, firstPacketReports: 0, events: new Map() };
      /**
       * babeltrace2's losses of a thread, its uncounted "may have discarded" first packets
       * completed with our reader's count; both readers must agree on the rest.
       */
      const lossesOf = (thread: number): { lost: number; firstPacket: number; problem: string | null } => {
        const messages = summary.discarded_events.filter((d) => (threadOf(d.stream) ?? 0) === thread);
        const counted = messages.reduce((sum, d) => sum + (d.count ?? 0), 0);
        const uncounted = messages.filter((d) => d.count === null).length;
        const reader = ours.get(thread) ?? none;
        const problem = counted !== reader.counted || uncounted !== reader.firstPacketReports
          ? `babeltrace2 counts ${counted} lost events and ${uncounted} first packets with uncounted losses, tracemark's reader ${reader.counted} and ${reader.firstPacketReports}`
          : null;
        return { lost: counted + reader.firstPacket, firstPacket: reader.firstPacket, problem };
      };
      const mainRead = Object.entries(summary.classes).filter(([name]) => name.startsWith('soak:')).reduce((sum, [, n]) => sum + n, 0);
      const ourRead = [...(ours.get(0) ?? none).events].filter(([name]) => name.startsWith('soak:')).reduce((sum, [, n]) => sum + n, 0);
      const main = lossesOf(0);
      const ok = check.status === 0 && mainRead === events && ourRead === events && main.lost === discarded && main.problem === null;
      if (!ok) failures.push(`babeltrace2 on ${s.name} (status ${check.status}): main thread read ${mainRead} events (tracemark's reader ${ourRead}) / ${main.lost} discarded (${main.firstPacket} of them in first packets), counted ${events} / ${discarded}; ${[main.problem ?? '', ...summary.failures, ...summary.warnings.slice(0, 3), summary.error ?? ''].join('; ')}`);
      traces.push({ session: s.name, events, discarded, firstPacketLost: main.firstPacket, ok, output: '' });
      for (const count of workerCounts) {
        const w = workers[count.index];
        const nch = s.session.channels.length;
        const written = summary.classes[`soakw:t${count.index}`] ?? 0;
        const { lost, firstPacket, problem } = lossesOf(w.threadId);
        const expected = count.exact * nch;
        const ambiguous = count.ambiguous * nch;
        const threadOk = problem === null && written + lost >= expected && written + lost <= expected + ambiguous;
        if (!threadOk) failures.push(`${s.name}, worker thread ${w.threadId}: written ${written} + discarded ${lost} != fired ${expected} (+ ${ambiguous} ambiguous)${problem === null ? '' : `; ${problem}`}`);
        threads.push({ session: s.name, thread: w.threadId, channels: nch, expected, ambiguous, written, discarded: lost, firstPacketLost: firstPacket, ok: threadOk });
      }
    }
    // Every snapshot is a complete trace babeltrace2 reads without a warning.
    const checked = snapshotDirs.slice(0, 20);
    for (const dir of checked) {
      const check = ctfcheck([dir]);
      if (check.status !== 0) failures.push(`babeltrace2 on snapshot ${dir} (status ${check.status}): ${check.output.slice(0, 500)}`);
    }
    return { durationMs, fired, toggles, globalToggles, snapshots, snapshotsChecked: checked.length, channels, traces, threads, rssMiB, failures };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

export function accountingMarkdown(r: AccountingResult): string {
  const lines = [
    '## Accounting under pressure (main thread and worker threads)',
    '',
    `${(r.durationMs / 1000).toFixed(0)} s: ${r.fired} events fired by 10 markers into 3 sessions, ${r.toggles} rule toggles (every 2 ms), ` +
      `${r.globalToggles} \`tracing.enabled\` flips (every 7 ms), ${r.snapshots} snapshots (every second; ${r.snapshotsChecked} read back by babeltrace2).`,
    '',
    '| session | channel | mode | fired (model) | written | discarded | written + discarded == fired |',
    '|---|---|---|---:|---:|---:|---|',
    ...r.channels.map((c) => `| ${c.session} | ${c.channel} | ${c.mode} | ${c.fired} | ${c.written} | ${c.discarded} | ${c.ok ? 'yes' : '**NO**'} |`),
    '',
    'Losses in a stream\'s first packet (here: one blob larger than a sub-buffer, fired first) are reported by babeltrace2 2.0 as "may have discarded" without a count (no earlier packet to subtract from); tracemark\'s reader gives their count, and the two readers must agree on every other loss.',
    '',
    '| trace | events read by babeltrace2 (and by tracemark\'s reader) | discarded reported by babeltrace2 | of which in a first packet (no count from babeltrace2; tracemark\'s reader) | as counted |',
    '|---|---:|---:|---:|---|',
    ...r.traces.map((t) => `| ${t.session} | ${t.ok ? t.events : '?'} | ${t.ok ? t.discarded : '?'} | ${t.ok ? t.firstPacketLost : '?'} | ${t.ok ? 'yes' : '**NO** (see failures)'} |`),
    '',
    `${r.threads.length / Math.max(1, r.traces.length)} worker threads fire their own marker meanwhile (rules on for the whole run, tracing.enabled flipping under them), into both traces: streams \`<channel>_<threadId>\`, each thread counting its own fires.`,
    '',
    '| trace | worker thread | channels | fired while on (× channels) | during a flip (either) | written (read by babeltrace2) | discarded (reported by babeltrace2) | of which in a first packet | written + discarded == fired |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...r.threads.map((t) => `| ${t.session} | ${t.thread} | ${t.channels} | ${t.expected} | ${t.ambiguous} | ${t.written} | ${t.discarded} | ${t.firstPacketLost} | ${t.ok ? (t.written + t.discarded === t.expected ? 'yes' : 'yes, within the ambiguous fires') : '**NO**'} |`),
    '',
    `RSS, MiB, sampled every second: ${r.rssMiB.join(' ')} (min ${Math.min(...r.rssMiB)}, max ${Math.max(...r.rssMiB)}).`,
    '',
    r.failures.length === 0 ? 'All checks passed.' : `Failures:\n${r.failures.map((f) => `- ${f}`).join('\n')}`,
    '',
  ];
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const soak = process.argv.includes('--soak');
  const result = await accountingSoak(soak ? 60_000 : 5_000);
  process.stdout.write(`${accountingMarkdown(result)}\n`);
  process.exitCode = result.failures.length === 0 ? 0 : 1;
}
