/**
 * What `print`, `list` and `stats` share: loading blob decoder modules, and choosing events by
 * name pattern (`-e`) and filter expression (`--filter`) when reading a trace back.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TracemarkError } from '../errors/index.js';
import { compileFilter, parseFilter, type FilterExpression, type FilterField } from '../filter/index.js';
import { parseFormat } from '../format/parse.js';
import type { EventClassSummary, TraceEvent, TraceInfo, TraceSummary } from '../read/index.js';
import { compilePattern, type NamePattern } from '../session/rules.js';
import { usageError } from './args.js';

/**
 * Imports each module for its side effects: it calls `registerBlobDecoder(event, field, fn)` so
 * that `print` shows decoded `%pW` blobs. Relative paths are relative to the working directory.
 */
export async function loadDecoderModules(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    try {
      await import(pathToFileURL(resolve(path)).href);
    } catch (error) {
      throw usageError(`cannot load decoder module ${path}: ${(error as Error).message ?? String(error)}`);
    }
  }
}

/** The trace directory (relative to the directory given) that a stream path belongs to. */
export function traceOfStream(stream: string): string {
  const slash = stream.lastIndexOf('/');
  return slash < 0 ? '' : stream.slice(0, slash);
}

/** A FieldType for the filter compiler from a summary type (`u32`, `i64 hex`, `f64`, `string`...). */
function filterType(type: string): string {
  const int = /^([ui](?:8|16|32|64))\b/.exec(type);
  if (int !== null) return int[1];
  if (type === 'f32' || type === 'f64') return 'f64';
  if (type === 'string') return 'string';
  return 'none';
}

function filterFields(eventClass: EventClassSummary): FilterField[] {
  if (eventClass.format !== undefined) {
    try {
      return parseFormat(eventClass.format);
    } catch { /* not a tracemark format after all: use the metadata types */ }
  }
  return eventClass.fields.filter((f) => f.hidden !== true).map((f) => ({ name: f.name, type: filterType(f.type) }));
}

function contextOf(trace: TraceSummary): { vpid: number; vtid: number; procname: string } {
  const vpid = Number(trace.env.vpid ?? 0);
  return { vpid, vtid: vpid, procname: String(trace.env.procname ?? '') };
}

export class EventSelector {
  private readonly patterns: NamePattern[];
  private readonly filter: FilterExpression | undefined;
  /** Per trace and event class id: the compiled filter (null: never matches) and field order. */
  private readonly compiled = new Map<string, { predicate: ((values: ArrayLike<unknown>) => boolean) | null; names: string[] }>();
  private readonly traces = new Map<string, TraceSummary>();

  constructor(patterns: readonly string[], filterText: string | undefined, info: TraceInfo | undefined) {
    this.patterns = patterns.map((p) => compilePattern(p));
    this.filter = filterText === undefined ? undefined : parseFilter(filterText);
    for (const trace of info?.traces ?? []) this.traces.set(trace.path, trace);
  }

  /** Validates the options before any trace is opened (ERR_FILTER, ERR_INVALID_ARG → usage). */
  static check(patterns: readonly string[], filterText: string | undefined): void {
    try {
      for (const p of patterns) compilePattern(p);
    } catch (error) {
      throw usageError((error as Error).message);
    }
    if (filterText !== undefined) parseFilter(filterText);
  }

  get selectsAll(): boolean {
    return this.patterns.length === 0 && this.filter === undefined;
  }

  accepts(event: TraceEvent): boolean {
    if (this.patterns.length > 0 && !this.patterns.some((p) => p.test(event.name))) return false;
    if (this.filter === undefined) return true;
    const entry = this.entryFor(event);
    if (entry.predicate === null) return false;
    const values = entry.names.map((name) => event.fields[name]);
    return entry.predicate(values);
  }

  private entryFor(event: TraceEvent): { predicate: ((values: ArrayLike<unknown>) => boolean) | null; names: string[] } {
    const traceRel = traceOfStream(event.stream);
    const key = `${traceRel}\u0000${event.id}\u0000${event.name}`;
    let entry = this.compiled.get(key);
    if (entry === undefined) {
      const trace = this.traces.get(traceRel);
      const eventClass = trace?.eventClasses.find((c) => c.id === event.id && c.name === event.name);
      const fields: FilterField[] = eventClass !== undefined
        ? filterFields(eventClass)
        : Object.keys(event.fields).map((name) => ({ name, type: typeof event.fields[name] === 'string' ? 'string' : 'f64' }));
      const context = trace === undefined ? { vpid: 0, vtid: 0, procname: '' } : contextOf(trace);
      let predicate: ((values: ArrayLike<unknown>) => boolean) | null;
      try {
        predicate = compileFilter(this.filter as FilterExpression, fields, context);
      } catch (error) {
        if (!(error instanceof TracemarkError)) throw error;
        predicate = null;
      }
      entry = { predicate, names: fields.map((f) => f.name) };
      this.compiled.set(key, entry);
    }
    return entry;
  }
}
