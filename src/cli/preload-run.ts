/**
 * The work of the preload module (preload.ts decides which copy of tracemark runs it).
 * Recording errors are fatal: without its trace the run is pointless, so the process exits with
 * one error line before the application starts. Control socket errors are not: the application
 * runs anyway, with a one-line warning.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { basename, join } from 'node:path';
import { listen } from '../control/index.js';
import { FATAL_SIGNALS, foreignListenerCount, markTracemarkListener } from '../exit/index.js';
import { trackSession } from '../control/sessions.js';
import { Session } from '../session/index.js';
import { errorLine } from './output.js';
import { CONTROL_ENV, RECORD_ENV, parseRecordConfig, type RecordConfig, type RecordStatus } from './record-config.js';

const STATUS_INTERVAL_MS = 500;

interface Reporting {
  file: string;
  trace: string;
  ended: boolean;
  error?: string;
}

function status(session: Session, reporting: Reporting): RecordStatus {
  let events = 0;
  let lost = 0;
  let overwritten = 0;
  for (const channel of Object.values(session.stats().channels)) {
    events += channel.written;
    lost += channel.discarded;
    overwritten += channel.overwrittenPackets;
  }
  return {
    pid: process.pid, ppid: process.ppid, argv: process.argv, trace: reporting.trace, ended: reporting.ended,
    ...(reporting.error === undefined ? {} : { error: reporting.error }),
    events, lost, overwritten,
  };
}

function writeStatus(session: Session, reporting: Reporting): void {
  try {
    // Write then rename: the reader never sees half a file.
    writeFileSync(`${reporting.file}.tmp`, JSON.stringify(status(session, reporting)));
    renameSync(`${reporting.file}.tmp`, reporting.file);
  } catch { /* the progress line and the summary are niceties: never disturb the application for them */ }
}

/**
 * This process's own directory inside the output directory: `<procname>-<pid>`, as LTTng names
 * per-process buffers (`-2`, `-3`... when a reused pid finds its name taken). Created here, so
 * that two processes never share one.
 */
function processDirectory(output: string): string {
  const script = process.argv[1] === undefined ? '' : basename(process.argv[1]);
  const procname = (script === '' ? basename(process.execPath) : script).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'node';
  mkdirSync(output, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const name = attempt === 1 ? `${procname}-${process.pid}` : `${procname}-${process.pid}-${attempt}`;
    try {
      mkdirSync(join(output, name));
      return name;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 100) throw error;
    }
  }
}

function startRecording(config: RecordConfig): void {
  const trace = config.output === undefined ? '' : processDirectory(config.output);
  const output = config.output === undefined ? undefined : join(config.output, trace);
  const channel = {
    mode: config.overwrite ? 'overwrite' as const : 'discard' as const,
    ...(config.subbufSize === undefined ? {} : { subbufSize: config.subbufSize }),
    ...(config.subbufCount === undefined ? {} : { subbufCount: config.subbufCount }),
  };
  const session = new Session({
    channels: { default: channel },
    ...(config.name === undefined ? {} : { name: config.name }),
    ...(config.node === undefined ? {} : { node: config.node }),
    // Writing mode: close partly filled packets every second, so that a process killed with
    // SIGKILL loses at most about a second of events and slow streams show up in the progress.
    // Streaming to a relay: the session's own, shorter default, for live viewers.
    ...(config.overwrite ? {} : {
      ...(output === undefined ? {} : { output }),
      ...(config.relay === undefined ? { flushIntervalMs: 1000 } : { relay: config.relay }),
    }),
  });
  for (const pattern of config.patterns) {
    session.enable(pattern, config.filter === undefined ? {} : { filter: config.filter });
  }
  // The last rule that matches decides: after the patterns, node:* stays off.
  if (config.noNode === true) session.disable('node:*');
  session.start();
  trackSession(session, 'record');

  const statusDir = config.statusDir;
  const reporting: Reporting | undefined = statusDir === undefined ? undefined : { file: join(statusDir, `${process.pid}.json`), trace, ended: false };
  if (reporting !== undefined) {
    writeStatus(session, reporting);
    if (config.progress === true) setInterval(() => writeStatus(session, reporting), STATUS_INTERVAL_MS).unref();
    // Observes only (the error goes on to its usual handler): a main module that is not found
    // ends the process before it ran; the summary says why.
    process.on('uncaughtExceptionMonitor', (error) => {
      if (reporting.error === undefined) reporting.error = (String((error as Error | undefined)?.message ?? error).split('\n')[0] ?? '').slice(0, 300);
    });
  }
  // Registered after session.start(), so after the trace writer's own 'exit' listener, which
  // drains every packet synchronously; events fired in 'beforeExit' are still recorded.
  process.on('exit', () => {
    if (config.overwrite) {
      try {
        session.snapshotSync(output as string);
      } catch (error) {
        process.stderr.write(`${errorLine(error)}\n`);
      }
    }
    if (reporting !== undefined) {
      reporting.ended = true;
      writeStatus(session, reporting);
    }
  });
  for (const signal of FATAL_SIGNALS) {
    // Signals whose default action kills the process: exit through 'exit' instead, so that the
    // trace and the snapshot are finished (the library's own signal listener defers to this one).
    const onSignal = markTracemarkListener((): void => {
      // The application handles this signal itself: its choice, and 'exit' will finish the trace.
      if (foreignListenerCount(signal) > 0) return;
      process.exit(128 + constants.signals[signal]);
    });
    process.on(signal, onSignal);
  }
}

export async function runPreload(): Promise<void> {
  // Left in the environment: the processes this one starts record too (docs/cli.md).
  const recordText = process.env[RECORD_ENV];
  if (recordText !== undefined) {
    try {
      startRecording(parseRecordConfig(recordText));
    } catch (error) {
      process.stderr.write(`${errorLine(error)}\n`);
      process.exit(1);
    }
  }
  if (process.env[CONTROL_ENV] === '1') {
    try {
      await listen();
    } catch (error) {
      process.stderr.write(`${errorLine(error)} (continuing without the control socket)\n`);
    }
  }
}
