/**
 * What each control command does in the host process. The control session is created on first
 * use: a flight recorder (overwrite mode, memory only) unless `enable` brought an `output`
 * directory, in which case it writes a trace there while recording.
 */
import { isAbsolute } from 'node:path';
import { TracemarkError } from '../errors/index.js';
import { markerById } from '../marker/index.js';
import { registry } from '../registry/index.js';
import { Session } from '../session/index.js';
import { zeroResultWarnings, type EnableRule } from '../session/warnings.js';
import type { ControlRequest } from './protocol.js';
import { sessionInfo, trackSession, trackedSessions, untrackSession } from './sessions.js';

/** A flight recorder keeps the last 4 MiB of events, like a default channel. */
const FLIGHT_RECORDER_CHANNEL = { mode: 'overwrite' as const };

function controlError(message: string): TracemarkError {
  return new TracemarkError('ERR_CONTROL', message);
}

function absoluteDir(value: string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  // The host's working directory is not the client's: only absolute paths mean the same to both.
  if (!isAbsolute(value)) throw controlError(`${what} must be an absolute path, got ${JSON.stringify(value)}`);
  return value;
}

export class ControlCommands {
  private session: Session | null = null;
  /** The enable rules given to the control session, for the warnings of `stop`. */
  private enableRules: EnableRule[] = [];

  private describe(session: Session): string {
    const relay = session.relayUrl === undefined ? '' : `streaming to ${session.relayUrl} as ${session.name}`;
    if (session.output === undefined) return relay === '' ? 'flight recorder (memory only; use snapshot)' : relay;
    return `writing to ${session.output}${relay === '' ? '' : `, ${relay}`}`;
  }

  private getOrCreate(output: string | undefined, relay?: string, name?: string): Session {
    if (this.session !== null) {
      if (output !== undefined && this.session.output !== output) {
        throw controlError(`the control session already exists (${this.describe(this.session)}); close it first to record into ${output}`);
      }
      if (relay !== undefined && this.session.relayUrl !== relay) {
        throw controlError(`the control session already exists (${this.describe(this.session)}); close it first to stream to ${relay}`);
      }
      return this.session;
    }
    const session = new Session({
      name: name ?? `control-${process.pid}`,
      ...(relay !== undefined ? { relay, ...(output === undefined ? {} : { output }) }
        : output === undefined ? { channels: { default: FLIGHT_RECORDER_CHANNEL } } : { output, flushIntervalMs: 1000 }),
    });
    this.session = session;
    trackSession(session, 'control');
    return session;
  }

  private existing(cmd: string): Session {
    if (this.session === null) throw controlError(`${cmd}: there is no control session yet; enable markers first`);
    return this.session;
  }

  /** The command running now (or settled): commands of every connection run one at a time. */
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * Runs one command after those already asked for, whichever connection they came from: no
   * interleaving of one client's `close` with another's `enable`, and ten clients asking for
   * snapshots at once copy the rings one after the other, with the event loop free between.
   */
  run(request: ControlRequest): Promise<Record<string, unknown>> {
    const result = this.tail.then(() => this.runNow(request));
    this.tail = result.catch(() => {});
    return result;
  }

  private async runNow(request: ControlRequest): Promise<Record<string, unknown>> {
    switch (request.cmd) {
      case 'list':
        return this.list();
      case 'enable': {
        const output = absoluteDir(request.output, 'output');
        // Validate before creating a session, so that a typo leaves nothing behind.
        const creating = this.session === null;
        const session = this.getOrCreate(output, request.relay, request.name);
        try {
          session.enable(request.pattern as string, request.filter === undefined ? {} : { filter: request.filter });
        } catch (error) {
          if (creating) await this.closeSession();
          throw error;
        }
        this.enableRules.push(request.filter === undefined ? { pattern: request.pattern as string } : { pattern: request.pattern as string, filter: request.filter });
        return { session: sessionInfo(session, 'control') };
      }
      case 'disable': {
        const session = this.existing('disable');
        session.disable(request.pattern as string);
        return { session: sessionInfo(session, 'control') };
      }
      case 'start': {
        const session = this.getOrCreate(undefined);
        session.start();
        return { session: sessionInfo(session, 'control') };
      }
      case 'stop': {
        if (this.session === null) return { session: null };
        this.session.stop();
        const declared = registry.list().map((r) => ({ name: r.name, fields: r.fields.map((f) => f.name) }));
        return { session: sessionInfo(this.session, 'control'), warnings: zeroResultWarnings(declared, this.enableRules) };
      }
      case 'snapshot': {
        const dir = absoluteDir(request.dir, 'dir') as string;
        const session = this.existing('snapshot');
        await session.snapshot(dir);
        return { dir, session: sessionInfo(session, 'control') };
      }
      case 'close':
        return { closed: await this.closeSession() };
    }
  }

  private list(): Record<string, unknown> {
    const markers = registry.list().map((r) => ({
      id: r.id,
      name: r.name,
      format: r.format,
      enabled: markerById(r.id)?.enabled ?? false,
    }));
    return { pid: process.pid, markers, sessions: trackedSessions() };
  }

  /** Closes the control session (flushing its trace, if it writes one); true if there was one. */
  async closeSession(): Promise<boolean> {
    const session = this.session;
    if (session === null) return false;
    this.session = null;
    this.enableRules = [];
    untrackSession(session);
    await session.close();
    return true;
  }
}
