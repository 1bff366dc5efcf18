/**
 * The sessions a control client can see with `list`: the control session and any session
 * announced by tracemark itself (the one `tracemark record` starts in the traced process).
 */
import type { Session } from '../session/index.js';
import { processState } from '../process/state.js';

export type SessionRole = 'control' | 'record';

// Shared by every copy of tracemark in the process: the CLI's session and the app's are listed.
const tracked = processState.trackedSessions as Map<Session, SessionRole>;

export function trackSession(session: Session, role: SessionRole): void {
  tracked.set(session, role);
}

export function untrackSession(session: Session): void {
  tracked.delete(session);
}

export interface SessionInfo {
  name: string;
  role: SessionRole;
  /** Trace directory written while recording; absent for a flight recorder (memory only). */
  output?: string;
  /** Relay daemon the session streams to (docs/relay.md). */
  relay?: string;
  mode: string;
  recording: boolean;
  /** Events written into the rings, and lost, summed over the channels. */
  events: number;
  lost: number;
}

export function sessionInfo(session: Session, role: SessionRole): SessionInfo {
  const stats = session.stats();
  let events = 0;
  let lost = 0;
  for (const channel of Object.values(stats.channels)) {
    events += channel.written;
    lost += channel.discarded;
  }
  return {
    name: session.name,
    role,
    ...(session.output === undefined ? {} : { output: session.output }),
    ...(session.relayUrl === undefined ? {} : { relay: session.relayUrl }),
    mode: session.channels.map((c) => c.mode).join(','),
    recording: stats.recording,
    events,
    lost,
  };
}

export function trackedSessions(): SessionInfo[] {
  return [...tracked].map(([session, role]) => sessionInfo(session, role));
}
