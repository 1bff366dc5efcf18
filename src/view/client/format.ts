/**
 * The page's text (page code: see main.ts for the rules): strings from the string table, field
 * values printed as formatEvent prints them (shortest round trip, -0, hex for %x/%p), event
 * lines, durations.
 */
/* eslint-disable */
declare const window: any;

export function viewerFormat(meta: any, sec: any): any {
  const evMarker = sec.marker;
  const N = sec.ts.length;
  const strOffsets: Uint32Array = sec.stringOffsets;
  const strBytes: Uint8Array = sec.strings;
  const decoder = new window.TextDecoder();
  const strCache = new Map<number, string>();
  function str(i: number): string {
    let s = strCache.get(i);
    if (s === undefined) {
      s = decoder.decode(strBytes.subarray(strOffsets[i], strOffsets[i + 1])) as string;
      if (strCache.size < 100000) strCache.set(i, s);
    }
    return s;
  }
  const markers = meta.markers;
  // Row of each event in its marker's columns.
  const rowOf = new Uint32Array(N);
  {
    const next = new Uint32Array(markers.length);
    for (let i = 0; i < N; i++) rowOf[i] = next[evMarker[i]]++;
  }
  // The field columns come after the first frame (main.ts calls fieldsLoaded).
  let columns: any[] | null = null;
  function fieldsLoaded(): void {
    columns = markers.map((m: any) => m.fields.map((f: any) => sec[f.section]));
  }
  const INT_HEX: any = { '%x': 1, '%lx': 1, '%llx': 1, '%p': 1 };
  function formatNumber(v: number): string {
    if (v - v !== 0) return String(v);
    return v === 0 && 1 / v < 0 ? '-0' : JSON.stringify(v);
  }
  function fieldText(m: number, f: number, row: number): string | undefined {
    const field = markers[m].fields[f];
    if (columns === null) return undefined;
    const v = columns[m][f][row];
    if (field.kind === 'text') return v === field.missing ? undefined : str(v);
    if (v !== v) return undefined;
    if (field.spec !== undefined && INT_HEX[field.spec] === 1 && Number.isInteger(v)) return v < 0 ? '-0x' + (-v).toString(16) : '0x' + v.toString(16);
    return formatNumber(v);
  }
  const originNs = BigInt(meta.originNs);
  function isoTime(rel: number): string {
    const ns = originNs + BigInt(Math.round(rel));
    const s = ns / 1000000000n;
    const frac = (ns % 1000000000n).toString().padStart(9, '0');
    const date = new Date(Number(s) * 1000).toISOString();
    return date.slice(0, 19) + '.' + frac + 'Z';
  }
  function eventLine(i: number): string {
    const m = evMarker[i];
    if (columns === null) return markers[m].name + ' (the fields are still loading)';
    let line = '[' + isoTime(sec.ts[i]) + '] ' + markers[m].name + ':';
    markers[m].fields.forEach((field: any, f: number) => {
      const text = fieldText(m, f, rowOf[i]);
      if (text !== undefined) line += ' ' + field.name + '=' + text;
    });
    return line;
  }
  function duration(ns: number): string {
    const a = Math.abs(ns);
    if (a >= 1e9) return (ns / 1e9).toFixed(a >= 1e10 ? 2 : 3) + ' s';
    if (a >= 1e6) return (ns / 1e6).toFixed(a >= 1e7 ? 2 : 3) + ' ms';
    if (a >= 1e3) return (ns / 1e3).toFixed(a >= 1e4 ? 2 : 3) + ' µs';
    return Math.round(ns) + ' ns';
  }
  return { str, rowOf, columns: (): any[] | null => columns, fieldsLoaded, fieldText, eventLine, duration };
}
