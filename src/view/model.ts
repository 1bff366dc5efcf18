/**
 * The viewer's data: a trace read once into typed columns (times, tracks, markers, one column
 * per marker field), span bars, lost-event ranges, per-marker statistics and an exact
 * events-over-time histogram, then packed into one binary buffer (the page embeds it as base64)
 * and a small JSON description of its sections.
 *
 * Fields: numbers stay numbers (the page prints them as formatEvent does: shortest round trip,
 * hex for %x/%p); everything else (strings, blobs with their registered decoders, structs,
 * arrays, integers past 2^53) is rendered here by formatEvent itself and interned.
 *
 * Big traces: past `maxEvents` kept events, every other one is dropped and only 1 in 2^k of the
 * following ones is kept (the view says so); counts, first/last, the histogram and lost ranges
 * always cover every event.
 */
import { attachFieldSpecs, FIELD_SPECS, formatEvent, readTraceSync, type DiscardedInfo, type TraceEvent, type TraceInfo } from '../read/index.js';
import { PendingSpans, SpanRoles, SpanStacks, spanIdOf } from '../timeline/spans.js';
import { TrackMap, earliestNs } from '../timeline/tracks.js';
import { GrowableArray } from './growable.js';
import { compactColumn, SectionPacker, StringTable, type ColumnKind, type ViewSection } from './pack.js';

export type { ViewSection } from './pack.js';

export const DEFAULT_MAX_EVENTS = 2_000_000;
export const HISTOGRAM_BINS = 1000;
/** Span details (the begin and end lines) are kept for this many spans. */
const MAX_SPAN_DETAILS = 100_000;
const MAX_SPANS = 2_000_000;

interface FieldColumn {
  readonly name: string;
  readonly spec: string | undefined;
  kind: ColumnKind;
  /** Numbers, or string-table indices for text. */
  values: GrowableArray<Float64Array>;
}

interface MarkerStats {
  readonly name: string;
  readonly index: number;
  count: number;
  firstNs: bigint;
  lastNs: bigint;
  readonly fields: FieldColumn[];
  readonly fieldIndex: Map<string, number>;
  /** Kept events of this marker (rows of its columns). */
  rows: number;
  readonly bins: Uint32Array;
}

interface OpenSpan {
  readonly prefix: string;
  readonly track: number;
  readonly name: number;
  readonly beginNs: bigint;
  readonly detail: number;
}

export interface ViewMeta {
  readonly title: string;
  readonly originNs: string;
  readonly durationNs: number;
  readonly totalEvents: number;
  readonly keptEvents: number;
  readonly sampleEvery: number;
  readonly spansDropped: number;
  readonly damage?: string;
  readonly tracks: readonly { name: string; process: string; pid: number; tid: number }[];
  readonly markers: readonly {
    name: string;
    count: number;
    firstNs: number;
    lastNs: number;
    /** `missing`: the value of a text column that marks an event without this field. */
    fields: readonly { name: string; spec?: string; kind: ColumnKind; missing?: number; section: string }[];
  }[];
  readonly lost: readonly { track: number; startNs: number; endNs: number; count: string; kind: string }[];
  readonly histogramBins: number;
  readonly strings: number;
  readonly spans: number;
  readonly sections: readonly ViewSection[];
}

export interface ViewModel {
  readonly meta: ViewMeta;
  readonly data: Uint8Array;
}

export interface BuildOptions {
  readonly maxEvents?: number;
  readonly title?: string;
  readonly onProgress?: (eventsRead: number) => void;
}

function latestNs(info: TraceInfo): bigint | undefined {
  let max: bigint | undefined;
  for (const t of info.traces) for (const s of t.streams) if (s.endNs !== undefined && (max === undefined || s.endNs > max)) max = s.endNs;
  return max;
}

export class ViewModelBuilder {
  private readonly tracks: TrackMap;
  private readonly roles: SpanRoles;
  private readonly strings = new StringTable();
  /** Raw string value → string id of its rendering (strings are rendered the same wherever they are). */
  private readonly rawStrings = new Map<string, number>();
  private readonly markers = new Map<string, MarkerStats>();
  private readonly markerList: MarkerStats[] = [];
  private readonly trackOfThread = new Map<number, number>();
  private readonly trackList: { name: string; process: string; pid: number; tid: number }[] = [];
  private ts = new GrowableArray(Float64Array);
  private track = new GrowableArray(Uint16Array);
  private marker = new GrowableArray(Uint16Array);
  private readonly spanStart = new GrowableArray(Float64Array);
  private readonly spanDur = new GrowableArray(Float64Array);
  private readonly spanTrack = new GrowableArray(Uint16Array);
  private readonly spanName = new GrowableArray(Uint32Array);
  private readonly spanDetail = new GrowableArray(Uint32Array);
  private readonly spanFlags = new GrowableArray(Uint8Array);
  private spansDropped = 0;
  private readonly stacks = new SpanStacks<OpenSpan>();
  private readonly pending = new PendingSpans<OpenSpan>();
  private readonly lost: { track: number; startNs: bigint; endNs: bigint; count: bigint; kind: string }[] = [];
  private readonly originNs: bigint;
  private readonly rangeNs: number;
  private readonly maxEvents: number;
  private sampleEvery = 1;
  private seen = 0;
  private lastNs = 0n;

  constructor(info: TraceInfo, private readonly options: BuildOptions = {}) {
    this.tracks = new TrackMap(info);
    this.roles = new SpanRoles(info);
    this.originNs = earliestNs(info) ?? 0n;
    const latest = latestNs(info);
    this.rangeNs = latest === undefined || latest <= this.originNs ? 0 : Number(latest - this.originNs);
    this.maxEvents = Math.max(2, options.maxEvents ?? DEFAULT_MAX_EVENTS);
  }

  private trackIndex(event: { stream: string; context?: Record<string, unknown> }): number {
    const thread = this.tracks.thread(event.stream, event.context);
    let index = this.trackOfThread.get(thread.index);
    if (index === undefined) {
      index = this.trackList.length;
      this.trackOfThread.set(thread.index, index);
      this.trackList.push({ name: thread.name, process: thread.process.name, pid: thread.process.pid, tid: thread.tid });
    }
    return index;
  }

  private markerOf(name: string): MarkerStats {
    let m = this.markers.get(name);
    if (m === undefined) {
      m = { name, index: this.markerList.length, count: 0, firstNs: 0n, lastNs: 0n, fields: [], fieldIndex: new Map(), rows: 0, bins: new Uint32Array(HISTOGRAM_BINS) };
      this.markers.set(name, m);
      this.markerList.push(m);
    }
    return m;
  }

  private rel(ns: bigint): number {
    return Number(ns - this.originNs);
  }

  /** formatEvent's rendering of one field (`k=` stripped): strings, blobs, structs, big integers. */
  private rendered(event: TraceEvent, key: string, value: unknown): number {
    if (typeof value === 'string') {
      const known = this.rawStrings.get(value);
      if (known !== undefined) return known;
    }
    const specs = event[FIELD_SPECS];
    const single = attachFieldSpecs({ name: event.name, id: event.id, timestamp: 0n, stream: event.stream, fields: { [key]: value } }, specs === undefined ? {} : { ...specs });
    const line = formatEvent(single);
    const prefix = `${event.name}: ${key}=`;
    const at = line.indexOf(prefix);
    const id = this.strings.id(at < 0 ? line : line.slice(at + prefix.length));
    if (typeof value === 'string' && this.rawStrings.size < 1_000_000) this.rawStrings.set(value, id);
    return id;
  }

  private thin(): void {
    // Keep every other kept event; columns are compacted in the same order.
    const n = this.ts.length;
    const ts = new GrowableArray(Float64Array, n);
    const track = new GrowableArray(Uint16Array, n);
    const marker = new GrowableArray(Uint16Array, n);
    const columns = this.markerList.map((m) => m.fields.map(() => new GrowableArray(Float64Array, Math.ceil(m.rows / 2) + 1)));
    const rowOf = new Uint32Array(this.markerList.length);
    for (const m of this.markerList) m.rows = 0;
    for (let i = 0; i < n; i++) {
      const mi = this.marker.at(i);
      const row = rowOf[mi]++;
      if (i % 2 !== 0) continue;
      ts.push(this.ts.at(i));
      track.push(this.track.at(i));
      marker.push(mi);
      const m = this.markerList[mi];
      m.fields.forEach((f, fi) => columns[mi][fi].push(row < f.values.length ? f.values.at(row) : Number.NaN));
      m.rows++;
    }
    this.ts = ts;
    this.track = track;
    this.marker = marker;
    this.markerList.forEach((m, mi) => m.fields.forEach((f, fi) => { f.values = columns[mi][fi]; }));
    this.sampleEvery *= 2;
  }

  event(event: TraceEvent): void {
    const ns = event.timestamp;
    if (ns > this.lastNs) this.lastNs = ns;
    const m = this.markerOf(event.name);
    if (m.count === 0 || ns < m.firstNs) m.firstNs = ns;
    if (m.count === 0 || ns > m.lastNs) m.lastNs = ns;
    m.count++;
    const rel = this.rel(ns);
    if (this.rangeNs > 0) {
      const bin = Math.floor((rel / this.rangeNs) * HISTOGRAM_BINS);
      m.bins[bin < 0 ? 0 : bin >= HISTOGRAM_BINS ? HISTOGRAM_BINS - 1 : bin]++;
    }
    const track = this.trackIndex(event);
    this.spans(event, m, track);
    if (this.seen++ % this.sampleEvery !== 0) return;
    if (this.ts.length >= this.maxEvents) {
      this.thin();
      if ((this.seen - 1) % this.sampleEvery !== 0) return;
    }
    this.ts.push(rel);
    this.track.push(track);
    this.marker.push(m.index);
    const fields = event.fields;
    const row = m.rows++;
    for (const key in fields) {
      let fi = m.fieldIndex.get(key);
      if (fi === undefined) {
        fi = m.fields.length;
        m.fieldIndex.set(key, fi);
        const column: FieldColumn = { name: key, spec: event[FIELD_SPECS]?.[key], kind: 'num', values: new GrowableArray(Float64Array) };
        m.fields.push(column);
      }
      const column = m.fields[fi];
      // A column that started late (a field appearing later) is padded.
      while (column.values.length < row) column.values.push(Number.NaN);
      const value = fields[key];
      if (column.kind === 'num' && typeof value === 'number') column.values.push(value);
      else if (column.kind === 'num' && typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER)) column.values.push(Number(value));
      else {
        if (column.kind === 'num') this.toText(m, column, event, key);
        column.values.push(this.rendered(event, key, value));
      }
    }
  }

  /** A numeric column meets a value it cannot hold: its earlier numbers become text too. */
  private toText(m: MarkerStats, column: FieldColumn, event: TraceEvent, key: string): void {
    const values = new GrowableArray(Float64Array, column.values.length + 16);
    for (let i = 0; i < column.values.length; i++) {
      const v = column.values.at(i);
      values.push(Number.isNaN(v) ? Number.NaN : this.rendered(event, key, v));
    }
    column.values = values;
    column.kind = 'text';
    void m;
  }

  private addSpan(span: OpenSpan, endNs: bigint, endDetail: number, unfinished: boolean): void {
    if (this.spanStart.length >= MAX_SPANS) {
      this.spansDropped++;
      return;
    }
    this.spanStart.push(this.rel(span.beginNs));
    this.spanDur.push(Math.max(0, Number(endNs - span.beginNs)));
    this.spanTrack.push(span.track);
    this.spanName.push(span.name);
    this.spanDetail.push(span.detail === 0xffffffff || endDetail === 0xffffffff ? 0xffffffff : this.strings.id(`${this.strings.list[span.detail]}\n${this.strings.list[endDetail]}`));
    this.spanFlags.push(unfinished ? 1 : 0);
  }

  private detail(event: TraceEvent): number {
    return this.spanStart.length < MAX_SPAN_DETAILS ? this.strings.id(formatEvent(event)) : 0xffffffff;
  }

  private spans(event: TraceEvent, m: MarkerStats, track: number): void {
    void m;
    const role = this.roles.of(event.name);
    if (role === undefined) return;
    const thread = this.tracks.thread(event.stream, event.context);
    if (role.byId) {
      const key = PendingSpans.key(thread.process.index, role.prefix, spanIdOf(event.fields));
      if (role.role === 'begin') {
        const displaced = this.pending.begin(key, { prefix: role.prefix, track, name: this.strings.id(role.prefix), beginNs: event.timestamp, detail: this.detail(event) });
        if (displaced !== undefined) this.addSpan(displaced, displaced.beginNs, displaced.detail, true);
        return;
      }
      const span = this.pending.end(key);
      if (span !== undefined) this.addSpan(span, event.timestamp, this.detail(event), false);
      return;
    }
    if (role.role === 'begin') {
      this.stacks.open(track, { prefix: role.prefix, track, name: this.strings.id(role.prefix), beginNs: event.timestamp, detail: this.detail(event) });
      return;
    }
    const closed = this.stacks.close(track, role.prefix);
    closed.forEach((span, i) => this.addSpan(span, event.timestamp, i === closed.length - 1 ? this.detail(event) : span.detail, i !== closed.length - 1));
  }

  discarded(info: DiscardedInfo): void {
    const track = this.trackIndex({ stream: info.stream });
    const endNs = info.endNs ?? info.beginNs ?? this.lastNs;
    this.lost.push({ track, startNs: info.beginNs ?? endNs, endNs, count: info.count, kind: info.kind });
  }

  build(damage?: string): ViewModel {
    for (const span of this.pending.drain()) this.addSpan(span, this.lastNs, span.detail, true);
    for (const [, open] of this.stacks.remaining()) for (const span of open) this.addSpan(span, this.lastNs, span.detail, true);
    const packer = new SectionPacker();
    packer.addTimes('ts', this.ts.view());
    packer.addIds('track', this.track.view(), this.trackList.length);
    packer.addIds('marker', this.marker.view(), this.markerList.length);
    const markers = this.markerList.map((m, mi) => ({
      name: m.name,
      count: m.count,
      firstNs: this.rel(m.firstNs),
      lastNs: this.rel(m.lastNs),
      fields: m.fields.map((f, fi) => {
        while (f.values.length < m.rows) f.values.push(Number.NaN);
        const { array, type, missing } = compactColumn(f.values.view(), f.kind);
        return { name: f.name, ...(f.spec === undefined ? {} : { spec: f.spec }), kind: f.kind, ...(missing === undefined ? {} : { missing }), section: packer.add(`m${mi}f${fi}`, array, type) };
      }),
    }));
    const bins = new Uint32Array(this.markerList.length * HISTOGRAM_BINS);
    this.markerList.forEach((m, mi) => bins.set(m.bins, mi * HISTOGRAM_BINS));
    packer.add('bins', bins, 'u32');
    packer.add('spanStart', this.spanStart.view(), 'f64');
    packer.add('spanDur', this.spanDur.view(), 'f64');
    packer.addIds('spanTrack', this.spanTrack.view(), this.trackList.length);
    packer.add('spanName', this.spanName.view(), 'u32');
    packer.add('spanDetail', this.spanDetail.view(), 'u32');
    packer.add('spanFlags', this.spanFlags.view(), 'u8');
    const { offsets, utf8 } = this.strings.encoded();
    packer.add('stringOffsets', offsets, 'u32');
    packer.add('strings', utf8, 'u8');
    const { sections, data } = packer.pack();
    const durationNs = Math.max(this.rangeNs, this.ts.length > 0 ? this.ts.at(this.ts.length - 1) : 0, this.rel(this.lastNs));
    const meta: ViewMeta = {
      title: this.options.title ?? 'trace',
      originNs: this.originNs.toString(),
      durationNs,
      totalEvents: this.seen,
      keptEvents: this.ts.length,
      sampleEvery: this.sampleEvery,
      spansDropped: this.spansDropped,
      ...(damage === undefined ? {} : { damage }),
      tracks: this.trackList,
      markers,
      lost: this.lost.map((l) => ({ track: l.track, startNs: this.rel(l.startNs), endNs: this.rel(l.endNs), count: l.count.toString(), kind: l.kind })),
      histogramBins: this.rangeNs > 0 ? HISTOGRAM_BINS : 0,
      strings: this.strings.list.length,
      spans: this.spanStart.length,
      sections,
    };
    return { meta, data };
  }
}

/** Reads the trace(s) in `dir` into a view model. Damage ends the reading; the model says so. */
export function buildViewModel(dir: string, info: TraceInfo, options: BuildOptions = {}, accept?: (event: TraceEvent) => boolean): ViewModel {
  const builder = new ViewModelBuilder(info, options);
  let damage: string | undefined;
  let read = 0;
  try {
    for (const event of readTraceSync(dir, { onDiscarded: (d) => builder.discarded(d) })) {
      if (accept === undefined || accept(event)) builder.event(event);
      if ((++read & 0xffff) === 0) options.onProgress?.(read);
    }
  } catch (error) {
    damage = error instanceof Error ? error.message : String(error);
  }
  return builder.build(damage);
}
