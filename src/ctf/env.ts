import { hostname } from 'node:os';
import { basename } from 'node:path';
import type { TraceEnv } from './metadata.js';

export const TRACER_VERSION = [0, 1, 0] as const;

/** LTTng's `YYYYmmddTHHMMSS+0000`, in UTC. */
function lttngDatetime(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}T${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}+0000`;
}

export function processEnv(traceName: string): TraceEnv {
  const script = process.argv[1] === undefined ? '' : basename(process.argv[1]);
  return {
    hostname: hostname(),
    procname: script === '' ? basename(process.execPath) : script,
    vpid: process.pid,
    traceName,
    creationDatetime: lttngDatetime(new Date()),
    tracerVersion: TRACER_VERSION,
  };
}
