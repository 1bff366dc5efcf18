/**
 * The trace directory on disk: creating and claiming it (two writers never share one), its file
 * names, undoing a failed start, and the metadata's first packet.
 */
import { closeSync, mkdirSync, openSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TracemarkError } from '../errors/index.js';
import type { Registration } from '../registry/index.js';
import { CLOCK_ORIGIN_EPOCH_NS } from '../ring/clock.js';
import { writeWhole } from './drain.js';
import { processEnv } from './env.js';
import { eventBlock, metadataHead, metadataPacket, uuidToBytes } from './metadata.js';

/** `<channel>_<vtid>`: the main thread's streams are `<channel>_0`, a worker's `<channel>_<threadId>`. */
export function streamFileName(channel: { readonly name: string }, vtid = 0): string {
  return `${channel.name}_${vtid}`;
}

export function ioError(message: string, dir: string | undefined, cause?: unknown): TracemarkError {
  return new TracemarkError('ERR_TRACE_IO', message, { ...(dir === undefined ? {} : { file: dir }), ...(cause === undefined ? {} : { cause }) });
}

/**
 * Creates `dir`, or accepts an existing one with no trace in it; returns whether it created it.
 * The directory is claimed by creating its files with O_EXCL (see claimFile): of two processes
 * starting on one directory at once, exactly one gets it.
 */
export function prepareTraceDir(dir: string): boolean {
  // Node 20's recursive mkdirSync never returns for a path under /proc.
  if (/^\/proc(\/|$)/.test(resolve(dir))) {
    throw ioError(`cannot create trace directory ${dir}: /proc holds no regular files`, dir);
  }
  let created = false;
  try {
    mkdirSync(dirname(resolve(dir)), { recursive: true });
    try {
      mkdirSync(dir);
      created = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!created && readdirSync(dir).some((name) => !name.startsWith('.'))) {
      throw ioError(`trace directory ${dir} is not empty: choose a new directory for each trace`, dir);
    }
  } catch (error) {
    if (error instanceof TracemarkError) throw error;
    throw ioError(`cannot create trace directory ${dir}: ${(error as Error).message}`, dir, error);
  }
  return created;
}

/** Creates a file of the trace; one that exists already means another writer claimed the directory. */
export function claimFile(dir: string, name: string): number {
  try {
    return openSync(join(dir, name), 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw ioError(`trace directory ${dir} is already in use (${name} exists): choose a new directory for each trace`, dir, error);
    }
    throw error;
  }
}

/** Undoes a failed start: closes and removes what it created, so nothing half made stays. */
export function removeCreated(dir: string, fds: readonly number[], files: readonly string[], createdDir: boolean): void {
  for (const fd of fds) {
    try { closeSync(fd); } catch { /* closed */ }
  }
  for (const name of files) {
    try { unlinkSync(join(dir, name)); } catch { /* gone */ }
  }
  if (createdDir) {
    try { rmdirSync(dir); } catch { /* not empty or gone: leave it */ }
  }
}

export function metadataHeadPacket(uuid: string, traceName: string, registrations: readonly Registration[]): Uint8Array {
  const text = metadataHead(uuid, processEnv(traceName), CLOCK_ORIGIN_EPOCH_NS) + registrations.map(eventBlock).join('');
  return metadataPacket(text, uuidToBytes(uuid));
}

export function writeMetadataHead(fd: number, uuid: string, traceName: string, registrations: readonly Registration[]): void {
  const packet = metadataHeadPacket(uuid, traceName, registrations);
  writeWhole(fd, packet, 0, packet.length);
}
