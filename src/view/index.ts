/**
 * The timeline viewer: a trace directory → one self-contained HTML page (model.ts reads the
 * trace into a binary model, page.ts writes the page, client.ts is the page's code).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { readTraceInfoSync } from '../read/index.js';
import { buildViewModel, type ViewModel } from './model.js';
import { writeViewPage } from './page.js';

export interface TraceViewOptions {
  /** Events kept for the timeline (default 2,000,000); past it the page shows a sample and says so. */
  readonly maxEvents?: number;
  /** The page's title (default: the directory). */
  readonly title?: string;
}

export interface TraceViewResult {
  /** Events read. */
  readonly events: number;
  /** 1, or N when the timeline keeps 1 event in N. */
  readonly sampleEvery: number;
  readonly bytes: number;
  /** The damage that ended the reading, if any (the page shows what came before it). */
  readonly damage?: string;
}

/**
 * Writes a timeline of the trace(s) in `dir` to `file` as one HTML page that needs no network.
 * Blob decoders registered in this process (registerBlobDecoder) render the blobs' details.
 * @example
 * writeTraceView('./traces/run-1', 'run-1.html');
 */
export function writeTraceView(dir: string, file: string, options: TraceViewOptions = {}): TraceViewResult {
  const model: ViewModel = buildViewModel(dir, readTraceInfoSync(dir), { ...options, title: options.title ?? dir });
  const fd = openSync(file, 'w');
  let bytes = 0;
  try {
    let pending: string[] = [];
    let pendingChars = 0;
    const flush = (): void => {
      const buffer = Buffer.from(pending.join(''), 'utf8');
      bytes += buffer.length;
      let at = 0;
      while (at < buffer.length) at += writeSync(fd, buffer, at);
      pending = [];
      pendingChars = 0;
    };
    writeViewPage(model, (chunk) => {
      pending.push(chunk);
      pendingChars += chunk.length;
      if (pendingChars > 1 << 22) flush();
    });
    flush();
  } finally {
    closeSync(fd);
  }
  return { events: model.meta.totalEvents, sampleEvery: model.meta.sampleEvery, bytes, ...(model.meta.damage === undefined ? {} : { damage: model.meta.damage }) };
}
