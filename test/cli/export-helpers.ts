/** Shared by the export and view tests: Chrome DevTools' trace engine, trace rewriting. */
import { readFileSync, writeFileSync } from 'node:fs';

export interface ChromeEvent {
  ph: string;
  name?: string;
  pid?: number;
  tid?: number;
  ts?: number;
  dur?: number;
  args?: Record<string, unknown>;
}

interface EngineEntry {
  ph: string;
  name: string;
  ts: number;
  dur?: number;
  args?: Record<string, unknown>;
}

interface EngineThread {
  name: string | null;
  entries: EngineEntry[];
}

export interface DevtoolsData {
  Meta: { traceBounds: { min: number; max: number } };
  Renderer: { processes: Map<number, { threads: Map<number, EngineThread> }> };
}

interface Engine {
  TraceModel: { Model: { createWithAllHandlers(): { parse(events: unknown[]): Promise<void>; parsedTrace(index: number): { data: DevtoolsData } } } };
}

/** Chrome DevTools' Performance-panel model of `events` (its engine in Node needs a DOMRect). */
export async function devtoolsModel(events: readonly ChromeEvent[]): Promise<DevtoolsData> {
  const g = globalThis as { DOMRect?: unknown };
  g.DOMRect ??= class DOMRect {
    constructor(public x = 0, public y = 0, public width = 0, public height = 0) {}
  };
  const specifier = '@paulirish/trace_engine';
  const Trace = (await import(specifier)) as Engine;
  const model = Trace.TraceModel.Model.createWithAllHandlers();
  // The engine keeps references and sorts in place: give it copies.
  await model.parse(events.map((e) => ({ ...e })));
  return model.parsedTrace(0).data;
}

/** Another host name of the same length in a trace's metadata (packet sizes stay right). */
export function rewriteHostname(metadataFile: string): void {
  const bytes = readFileSync(metadataFile);
  const text = bytes.toString('latin1');
  const match = /hostname = "([^"]*)"/.exec(text);
  if (match === null) throw new Error('no hostname in the metadata');
  const other = match[1].replace(/./g, (c) => (c === 'x' ? 'y' : 'x'));
  const at = match.index + 'hostname = "'.length;
  Buffer.from(other, 'latin1').copy(bytes, at);
  writeFileSync(metadataFile, bytes);
}
