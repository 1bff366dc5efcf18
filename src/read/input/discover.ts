/**
 * Finds the traces under a directory: the directory itself when it holds `metadata`, else every
 * directory below it that does (like `babeltrace2 PARENT`). In a trace directory every regular,
 * non-hidden, non-empty file other than `metadata` is a data stream file.
 */
import { readdirSync, statSync, type Dirent, type Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TracemarkError } from '../../errors/index.js';
import { ioError } from '../errors.js';

export interface StreamFileLocation {
  readonly path: string;
  /** Path relative to the directory given to the reader, `/`-separated. */
  readonly rel: string;
  readonly sizeBytes: number;
}

export interface TraceLocation {
  readonly dir: string;
  /** Relative to the directory given to the reader; '' for that directory itself. */
  readonly rel: string;
  readonly metadataPath: string;
  readonly metadataRel: string;
  readonly streams: StreamFileLocation[];
}

const MAX_DEPTH = 8;

/** Natural order: `default_2` before `default_10`. */
export function naturalCompare(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    if (i % 2 === 1) {
      const diff = Number(pa[i]) - Number(pb[i]);
      if (diff !== 0) return diff;
    }
    return pa[i] < pb[i] ? -1 : 1;
  }
  return pa.length - pb.length;
}

function relJoin(rel: string, name: string): string {
  return rel === '' ? name : `${rel}/${name}`;
}

function sortEntries(entries: Dirent[]): Dirent[] {
  return entries.filter((e) => !e.name.startsWith('.')).sort((a, b) => naturalCompare(a.name, b.name));
}

function noTrace(root: string): TracemarkError {
  return new TracemarkError('ERR_TRACE_IO', `no CTF trace in ${root}: no metadata file in it or below it`, { file: root });
}

export function discoverSync(root: string): TraceLocation[] {
  let rootStat: Stats;
  try {
    rootStat = statSync(root);
  } catch (error) {
    throw ioError(root, error);
  }
  if (!rootStat.isDirectory()) throw new TracemarkError('ERR_TRACE_IO', `${root} is not a directory`, { file: root });
  const traces: TraceLocation[] = [];
  const walk = (dir: string, rel: string, depth: number): void => {
    let entries: Dirent[];
    try {
      entries = sortEntries(readdirSync(dir, { withFileTypes: true }));
    } catch (error) {
      throw ioError(dir, error);
    }
    const location = traceIn(dir, rel, entries, (path) => statSync(path));
    if (location !== undefined) {
      traces.push(location);
      return;
    }
    if (depth >= MAX_DEPTH) return;
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name), relJoin(rel, e.name), depth + 1);
  };
  walk(root, '', 0);
  if (traces.length === 0) throw noTrace(root);
  return traces;
}

export async function discoverAsync(root: string): Promise<TraceLocation[]> {
  let rootStat: Stats;
  try {
    rootStat = await stat(root);
  } catch (error) {
    throw ioError(root, error);
  }
  if (!rootStat.isDirectory()) throw new TracemarkError('ERR_TRACE_IO', `${root} is not a directory`, { file: root });
  const traces: TraceLocation[] = [];
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = sortEntries(await readdir(dir, { withFileTypes: true }));
    } catch (error) {
      throw ioError(dir, error);
    }
    const sizes = new Map<string, Stats>();
    for (const e of entries) {
      if (e.isFile() || e.isSymbolicLink()) {
        try { sizes.set(join(dir, e.name), await stat(join(dir, e.name))); } catch { /* vanished or dangling: skipped */ }
      }
    }
    const location = traceIn(dir, rel, entries, (path) => {
      const s = sizes.get(path);
      if (s === undefined) throw new Error('gone');
      return s;
    });
    if (location !== undefined) {
      traces.push(location);
      return;
    }
    if (depth >= MAX_DEPTH) return;
    for (const e of entries) if (e.isDirectory()) await walk(join(dir, e.name), relJoin(rel, e.name), depth + 1);
  };
  await walk(root, '', 0);
  if (traces.length === 0) throw noTrace(root);
  return traces;
}

/** The trace in `dir`, if it has a metadata file. Symbolic links to files count as files. */
function traceIn(dir: string, rel: string, entries: Dirent[], statOf: (path: string) => Stats): TraceLocation | undefined {
  const fileStat = (e: Dirent): Stats | undefined => {
    if (!e.isFile() && !e.isSymbolicLink()) return undefined;
    try {
      const s = statOf(join(dir, e.name));
      return s.isFile() ? s : undefined;
    } catch {
      return undefined;
    }
  };
  const metadata = entries.find((e) => e.name === 'metadata' && fileStat(e) !== undefined);
  if (metadata === undefined) return undefined;
  const streams: StreamFileLocation[] = [];
  for (const e of entries) {
    if (e.name === 'metadata') continue;
    const s = fileStat(e);
    // An empty stream file carries no packet: babeltrace2 ignores it too.
    if (s === undefined || s.size === 0) continue;
    streams.push({ path: join(dir, e.name), rel: relJoin(rel, e.name), sizeBytes: s.size });
  }
  return { dir, rel, metadataPath: join(dir, 'metadata'), metadataRel: relJoin(rel, 'metadata'), streams };
}
