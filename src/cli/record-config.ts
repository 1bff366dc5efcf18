/**
 * How `tracemark record` configures the preload module in the traced processes: one JSON value in
 * an environment variable, left in place so that every Node.js process the command starts (and
 * those they start) records too, each into a sub-directory of its own (docs/cli.md).
 */
import { TracemarkError } from '../errors/index.js';
import { RECORD_ENV } from './record-env.js';

export { RECORD_ENV, CONTROL_ENV } from './record-env.js';
export const RECORD_CONFIG_VERSION = 1;

export interface RecordConfig {
  v: number;
  /** Absolute trace directory; absent when the trace only goes to a relay daemon. */
  output?: string;
  /** Relay daemon URL (net://host[:ctrl[:data]]): stream the trace there too. */
  relay?: string;
  /** Marker name patterns to enable (at least one). */
  patterns: string[];
  filter?: string;
  /** Flight recorder: keep the newest events in memory, write them into `output` at exit. */
  overwrite: boolean;
  subbufSize?: number;
  subbufCount?: number;
  /**
   * Where each process writes `<pid>.json` (its command line and counters) at exit, for the
   * summary; every half second too when `progress` is set (for the progress line).
   */
  statusDir?: string;
  progress?: boolean;
  /** Trace name in the metadata. */
  name?: string;
  /** `--no-node`: Node's own node:* markers stay off, whatever the patterns match. */
  noNode?: boolean;
  /** `--sample-interval`, `--request-context`: the session's `node` options (docs/node.md). */
  node?: { sampleIntervalMs?: number; requestContext?: boolean };
}

/** What a traced process reports in its status file. */
export interface RecordStatus {
  pid: number;
  ppid: number;
  /** process.argv as the process saw it (the executable, then the script and its arguments). */
  argv: string[];
  /** Its trace directory, relative to the output directory ('' when it has none). */
  trace: string;
  /** Set at exit. */
  ended: boolean;
  /** The first line of the error that ended it (a main module that is not found...). */
  error?: string;
  /** Events written into the rings. */
  events: number;
  /** Events lost (ring full in discard mode, or too large). */
  lost: number;
  /** Packets overwritten before being saved (flight recorder). */
  overwritten: number;
}

function bad(why: string): never {
  throw new TracemarkError('ERR_USAGE', `invalid ${RECORD_ENV}: ${why}`);
}

export function parseRecordConfig(text: string): RecordConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    bad('not JSON');
  }
  if (typeof value !== 'object' || value === null) bad('not an object');
  const c = value as Record<string, unknown>;
  if (c.v !== RECORD_CONFIG_VERSION) bad(`version ${JSON.stringify(c.v)} is not ${RECORD_CONFIG_VERSION}`);
  if (c.relay !== undefined && (typeof c.relay !== 'string' || c.relay === '')) bad('"relay" must be a URL');
  if (c.relay === undefined || c.output !== undefined) {
    if (typeof c.output !== 'string' || c.output === '') bad('"output" must be a path');
  }
  if (!Array.isArray(c.patterns) || c.patterns.length === 0 || !c.patterns.every((p) => typeof p === 'string')) bad('"patterns" must be a non-empty list of strings');
  for (const key of ['filter', 'statusDir', 'name'] as const) {
    if (c[key] !== undefined && typeof c[key] !== 'string') bad(`"${key}" must be a string`);
  }
  for (const key of ['subbufSize', 'subbufCount'] as const) {
    if (c[key] !== undefined && !Number.isInteger(c[key])) bad(`"${key}" must be an integer`);
  }
  if (c.noNode !== undefined && typeof c.noNode !== 'boolean') bad('"noNode" must be a boolean');
  if (c.node !== undefined) {
    const node = c.node as Record<string, unknown> | null;
    if (typeof node !== 'object' || node === null) bad('"node" must be an object');
    if (node.sampleIntervalMs !== undefined && !Number.isInteger(node.sampleIntervalMs)) bad('"node.sampleIntervalMs" must be an integer');
    if (node.requestContext !== undefined && typeof node.requestContext !== 'boolean') bad('"node.requestContext" must be a boolean');
  }
  return {
    v: RECORD_CONFIG_VERSION,
    ...(c.noNode === true ? { noNode: true } : {}),
    ...(c.node === undefined ? {} : { node: c.node as RecordConfig['node'] }),
    ...(c.output === undefined ? {} : { output: c.output as string }),
    ...(c.relay === undefined ? {} : { relay: c.relay as string }),
    patterns: c.patterns as string[],
    overwrite: c.overwrite === true,
    ...(c.filter === undefined ? {} : { filter: c.filter as string }),
    ...(c.subbufSize === undefined ? {} : { subbufSize: c.subbufSize as number }),
    ...(c.subbufCount === undefined ? {} : { subbufCount: c.subbufCount as number }),
    ...(c.statusDir === undefined ? {} : { statusDir: c.statusDir as string }),
    ...(c.progress === true ? { progress: true } : {}),
    ...(c.name === undefined ? {} : { name: c.name as string }),
  };
}
