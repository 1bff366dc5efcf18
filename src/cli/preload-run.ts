/**
 * The work of the preload module (preload.ts decides which copy of tracemark runs it).
 * Recording errors are fatal: without its trace the run is pointless, so the process exits with
 * one error line before the application starts. Control socket errors are not: the application
 * runs anyway, with a one-line warning.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { listen } from '../control/index.js';
import { FATAL_SIGNALS, foreignListenerCount, markTracemarkListener } from '../exit/index.js';
import { trackSession } from '../control/sessions.js';
import { Session } from '../session/index.js';
import { errorLine } from './output.js';
import { CONTROL_ENV, RECORD_ENV, parseRecordConfig, type RecordConfig, type RecordStatus } from './record-config.js';

const STATUS_INTERVAL_MS = 500;

function status(session: Session): RecordStatus {
  let events = 0;
  let lost = 0;
  let overwritten = 0;
  for (const channel of Object.values(session.stats().channels)) {
    events += channel.written;
    lost += channel.discarded;
    overwritten += channel.overwrittenPackets;
  }
  return { events, lost, overwritten };
}

function writeStatus(file: string, session: Session): void {
  try {
    // Write then rename: the reader never sees half a file.
    writeFileSync(`${file}.tmp`, JSON.stringify(status(session)));
    renameSync(`${file}.tmp`, file);
  } catch { /* the progress line is a nicety: never disturb the application for it */ }
}

function startRecording(config: RecordConfig): void {
  const channel = {
    mode: config.overwrite ? 'overwrite' as const : 'discard' as const,
    ...(config.subbufSize === undefined ? {} : { subbufSize: config.subbufSize }),
    ...(config.subbufCount === undefined ? {} : { subbufCount: config.subbufCount }),
  };
  const session = new Session({
    channels: { default: channel },
    ...(config.name === undefined ? {} : { name: config.name }),
    // Writing mode: close partly filled packets every second, so that a process killed with
    // SIGKILL loses at most about a second of events and slow streams show up in the progress.
    // Streaming to a relay: the session's own, shorter default, for live viewers.
    ...(config.overwrite ? {} : {
      ...(config.output === undefined ? {} : { output: config.output }),
      ...(config.relay === undefined ? { flushIntervalMs: 1000 } : { relay: config.relay }),
    }),
  });
  for (const pattern of config.patterns) {
    session.enable(pattern, config.filter === undefined ? {} : { filter: config.filter });
  }
  session.start();
  trackSession(session, 'record');

  const statusFile = config.statusFile;
  if (statusFile !== undefined) {
    setInterval(() => writeStatus(statusFile, session), STATUS_INTERVAL_MS).unref();
  }
  // Registered after session.start(), so after the trace writer's own 'exit' listener, which
  // drains every packet synchronously; events fired in 'beforeExit' are still recorded.
  process.on('exit', () => {
    if (config.overwrite) {
      try {
        session.snapshotSync(config.output as string);
      } catch (error) {
        process.stderr.write(`${errorLine(error)}\n`);
      }
    }
    if (statusFile !== undefined) writeStatus(statusFile, session);
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
  const recordText = process.env[RECORD_ENV];
  delete process.env[RECORD_ENV];
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
