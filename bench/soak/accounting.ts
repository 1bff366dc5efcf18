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
import { marker, Session, tracing, type SessionOptions } from '../../src/index.js';

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
  traces: { session: string; events: number; discarded: number; ok: boolean; output: string }[];
  rssMiB: number[];
  failures: string[];
}

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

export async function accountingSoak(durationMs: number, seed = 12): Promise<AccountingResult> {
  const base = mkdtempSync(join(tmpdir(), 'tracemark-soak-'));
  const failures: string[] = [];
  const rand = random(seed);
  try {
    const names = Array.from({ length: 10 }, (_, i) => `soak:m${i}`);
    const markers = names.map((name, i) => (i % 3 === 2 ? marker(name, 'i %u b %pW') : marker(name, 'i %u s %s')));
    const blob = new Uint8Array(40).fill(7);
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
      s.session.start();
    }
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
      tracing.enabled = !tracing.enabled;
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

    let fired = 0;
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
    for (const s of sessions.slice(0, 2)) {
      const rows = channels.filter((c) => c.session === s.name);
      const events = rows.reduce((sum, c) => sum + c.written, 0);
      const discarded = rows.reduce((sum, c) => sum + c.discarded, 0);
      const check = ctfcheck([s.session.output!], '--expect-events', String(events), '--expect-discarded', String(discarded));
      const ok = check.status === 0;
      // The verdict lines only: the summary lists every discarded-events message.
      const verdict = check.output.split('\n').filter((line) => /^(FAIL|babeltrace2|error|ctfcheck)/.test(line)).slice(0, 5).join('; ');
      if (!ok) failures.push(`babeltrace2 on ${s.name} (status ${check.status}): ${verdict}`);
      traces.push({ session: s.name, events, discarded, ok, output: check.output });
    }
    // Every snapshot is a complete trace babeltrace2 reads without a warning.
    const checked = snapshotDirs.slice(0, 20);
    for (const dir of checked) {
      const check = ctfcheck([dir]);
      if (check.status !== 0) failures.push(`babeltrace2 on snapshot ${dir} (status ${check.status}): ${check.output.slice(0, 500)}`);
    }
    return { durationMs, fired, toggles, globalToggles, snapshots, snapshotsChecked: checked.length, channels, traces, rssMiB, failures };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

export function accountingMarkdown(r: AccountingResult): string {
  const lines = [
    '## Accounting under pressure (main thread)',
    '',
    `${(r.durationMs / 1000).toFixed(0)} s: ${r.fired} events fired by 10 markers into 3 sessions, ${r.toggles} rule toggles (every 2 ms), ` +
      `${r.globalToggles} \`tracing.enabled\` flips (every 7 ms), ${r.snapshots} snapshots (every second; ${r.snapshotsChecked} read back by babeltrace2).`,
    '',
    '| session | channel | mode | fired (model) | written | discarded | written + discarded == fired |',
    '|---|---|---|---:|---:|---:|---|',
    ...r.channels.map((c) => `| ${c.session} | ${c.channel} | ${c.mode} | ${c.fired} | ${c.written} | ${c.discarded} | ${c.ok ? 'yes' : '**NO**'} |`),
    '',
    '| trace | events read by babeltrace2 | discarded reported by babeltrace2 | as counted |',
    '|---|---:|---:|---|',
    ...r.traces.map((t) => `| ${t.session} | ${t.ok ? t.events : '?'} | ${t.ok ? t.discarded : '?'} | ${t.ok ? 'yes' : '**NO** (see failures)'} |`),
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
