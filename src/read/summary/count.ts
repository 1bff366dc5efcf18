/**
 * Counting pass for `tracemark stats`, `list` and the record summary: per stream file and event
 * class, how many events and the first and last time; optionally a histogram over a time range.
 * Counts do not depend on order, so the streams are walked one after the other (no merge), and
 * payloads are skipped, not decoded (trace compiled with `skipPayloads`): the event header gives
 * the class and the clock. The same events and the same damage as readTraceSync.
 */
import type { TracemarkError } from '../../errors/index.js';
import type { CompiledEventClass } from '../decode/compiled-trace.js';
import { asTracemarkError } from '../errors.js';
import { collectDamage, openStreamsSync } from '../input/open-trace.js';
import { COUNTED, type StreamReader } from '../decode/stream.js';
import type { ClockConversion } from '../metadata/clock.js';

export interface CountedClass {
  /** Stream file, relative to the directory read (as TraceEvent.stream). */
  readonly stream: string;
  readonly id: number;
  readonly name: string;
  readonly count: number;
  /** ns since the epoch of the earliest and latest event of this class in this stream. */
  readonly firstNs: bigint;
  readonly lastNs: bigint;
}

export interface CountResult {
  readonly classes: readonly CountedClass[];
  readonly total: number;
  /** Events per time bucket over [range.begin, range.end] (ns), when a range was given. */
  readonly buckets: number[] | undefined;
  /** The damage met (the counts cover the events before it), as readTraceSync would throw it. */
  readonly damage: TracemarkError | undefined;
}

export interface CountOptions {
  readonly range?: { readonly begin: bigint; readonly end: bigint };
  readonly bucketCount?: number;
}

const TWO_POW_32 = 4294967296;
// Below this high half, hi * 2^32 + lo is exact as a double (< 2^53).
const SAFE_HI = 0x200000;

class Accumulator {
  count = 0;
  firstHi = 0;
  firstLo = 0;
  lastHi = 0;
  lastLo = 0;
  constructor(readonly eventClass: CompiledEventClass) {}
}

interface Histogram {
  readonly buckets: number[];
  readonly begin: bigint;
  readonly span: bigint;
  readonly bucketsPerNs: number;
}

/** Counts the events of every stream file under `dir`. Throws only when the trace cannot be opened. */
export function countEventsSync(dir: string, options: CountOptions = {}): CountResult {
  const { range } = options;
  const bucketCount = options.bucketCount ?? 10;
  const histogram: Histogram | undefined = range === undefined ? undefined : {
    buckets: new Array<number>(bucketCount).fill(0),
    begin: range.begin,
    span: range.end - range.begin,
    bucketsPerNs: bucketCount / (Number(range.end - range.begin) + 1),
  };
  let opened;
  try {
    opened = openStreamsSync(dir, {}, false, { skipPayloads: true });
  } catch (error) {
    throw asTracemarkError(error, dir, 0);
  }
  const classes: CountedClass[] = [];
  let total = 0;
  let failure: TracemarkError | undefined;
  try {
    for (const { reader, source } of opened.streams) {
      reader.countOnly = true;
      const accumulators = new Map<CompiledEventClass, Accumulator>();
      let acc: Accumulator | undefined;
      let clock: ClockConversion | undefined;
      let exactBeginCycles = Number.NaN;
      for (;;) {
        const result = source.pull(reader);
        if (result !== COUNTED) break;
        const ec = reader.countedClass as CompiledEventClass;
        const hi = reader.clockHi;
        const lo = reader.clockLo;
        if (acc === undefined || acc.eventClass !== ec) {
          acc = accumulators.get(ec);
          if (acc === undefined) {
            accumulators.set(ec, (acc = new Accumulator(ec)));
            acc.firstHi = acc.lastHi = hi;
            acc.firstLo = acc.lastLo = lo;
          }
        }
        acc.count++;
        if (hi < acc.firstHi || (hi === acc.firstHi && lo < acc.firstLo)) {
          acc.firstHi = hi;
          acc.firstLo = lo;
        }
        if (hi > acc.lastHi || (hi === acc.lastHi && lo > acc.lastLo)) {
          acc.lastHi = hi;
          acc.lastLo = lo;
        }
        if (histogram !== undefined) {
          const streamClock = (reader.currentStreamClass as { clock: ClockConversion }).clock;
          if (streamClock !== clock) {
            clock = streamClock;
            exactBeginCycles = exactCyclesOf(clock, histogram.begin);
          }
          addToHistogram(histogram, clock, exactBeginCycles, hi, lo);
        }
      }
      for (const a of accumulators.values()) {
        const conversion = (reader.currentStreamClass as { clock: ClockConversion }).clock;
        classes.push({
          stream: reader.stream, id: a.eventClass.id, name: a.eventClass.name, count: a.count,
          firstNs: conversion.toNs(a.firstHi, a.firstLo), lastNs: conversion.toNs(a.lastHi, a.lastLo),
        });
        total += a.count;
      }
    }
  } catch (error) {
    failure = asTracemarkError(error, dir, 0);
  } finally {
    for (const s of opened.streams) s.source.close();
  }
  const damage = failure ?? collectDamage(opened.traces, opened.streams.map((s): StreamReader => s.reader));
  return { classes, total, buckets: histogram?.buckets, damage };
}

/**
 * `begin` (ns) as cycles of `clock` when ns = cycles + originNs holds exactly in doubles (1 GHz
 * clocks): then an event's offset from `begin` is one subtraction of exact integers. Else NaN.
 */
function exactCyclesOf(clock: ClockConversion, begin: bigint): number {
  if (clock.originNs === undefined) return Number.NaN;
  const cycles = begin - clock.originNs;
  return cycles >= 0n && cycles < BigInt(Number.MAX_SAFE_INTEGER) ? Number(cycles) : Number.NaN;
}

function addToHistogram(h: Histogram, clock: ClockConversion, beginCycles: number, hi: number, lo: number): void {
  let offset: number;
  if (hi < SAFE_HI && beginCycles === beginCycles) {
    const cycles = hi * TWO_POW_32 + lo;
    offset = cycles < beginCycles ? 0 : cycles - beginCycles;
  } else {
    const ts = clock.toNs(hi, lo);
    offset = ts < h.begin ? 0 : Number(ts - h.begin);
  }
  const index = h.span === 0n ? 0 : Math.floor(offset * h.bucketsPerNs);
  h.buckets[Math.min(index, h.buckets.length - 1)]++;
}
