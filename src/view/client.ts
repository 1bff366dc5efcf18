/**
 * The page's own code. `viewerMain` is not called in Node: page.ts embeds its source text
 * (Function.prototype.toString of the compiled function) in the HTML, so it must use nothing
 * from outside its body but the browser's globals, declared below as `any` (the project's
 * TypeScript settings have no DOM library).
 *
 * Drawing is on canvas: per track, events are counted per pixel column of the visible range
 * (level of detail: a pixel shows how many events fall in it, drawn in the colour of the last
 * one), span bars in rows, lost-event ranges as red bands. The events-over-time histogram comes
 * from exact per-marker bins of the whole trace.
 */
/* eslint-disable */
declare const document: any;
declare const window: any;
declare const performance: any;

export function viewerMain(): void {
  const metaEl = document.getElementById('tm-meta');
  const meta = JSON.parse(metaEl.textContent);
  const LABEL_W = 200;
  const EVENT_ROW_H = 28;
  const SPAN_ROW_H = 14;
  const TRACK_GAP = 6;
  const AXIS_H = 22;
  const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac', '#e15759'];

  function decodeBase64(text: string): Uint8Array {
    const clean = text.replace(/\s+/g, '');
    const U8: any = Uint8Array;
    if (typeof U8.fromBase64 === 'function') return U8.fromBase64(clean);
    const bin = window.atob(clean);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  const bytes = decodeBase64(document.getElementById('tm-data').textContent);
  const buffer = bytes.buffer;
  const base = bytes.byteOffset;
  const CTORS: any = { f64: Float64Array, u32: Uint32Array, u16: Uint16Array, u8: Uint8Array, i32: Int32Array, i16: Int16Array, i8: Int8Array };
  const sec: any = {};
  for (const s of meta.sections) sec[s.name] = new CTORS[s.type](buffer, base + s.offset, s.length);
  const ts: Float64Array = sec.ts;
  const evTrack: Uint16Array = sec.track;
  const evMarker: Uint16Array = sec.marker;
  const N = ts.length;
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
  const markerCount = markers.length;
  // Row of each event in its marker's columns.
  const rowOf = new Uint32Array(N);
  {
    const next = new Uint32Array(markerCount);
    for (let i = 0; i < N; i++) rowOf[i] = next[evMarker[i]]++;
  }
  const columns: any[] = markers.map((m: any) => m.fields.map((f: any) => sec[f.section]));
  const visible = new Uint8Array(markerCount).fill(1);
  const tracks = meta.tracks;
  const markerColor = (m: number): string => COLORS[m % COLORS.length];

  // Spans: rows per track, first fit by start time.
  const spanStart: Float64Array = sec.spanStart;
  const spanDur: Float64Array = sec.spanDur;
  const spanTrack: Uint16Array = sec.spanTrack;
  const spanName: Uint32Array = sec.spanName;
  const spanDetail: Uint32Array = sec.spanDetail;
  const spanFlags: Uint8Array = sec.spanFlags;
  const S = spanStart.length;
  const spanRow = new Uint16Array(S);
  const spanRows = new Uint16Array(tracks.length);
  const spansByTrack: number[][] = tracks.map(() => []);
  {
    const order = Array.from({ length: S }, (_, i) => i).sort((a, b) => spanStart[a] - spanStart[b] || spanDur[b] - spanDur[a]);
    const rowEnds: number[][] = tracks.map(() => []);
    for (const i of order) {
      const ends = rowEnds[spanTrack[i]];
      let r = 0;
      while (r < ends.length && ends[r] > spanStart[i]) r++;
      if (r > 65535) r = 65535;
      ends[r] = spanStart[i] + spanDur[i];
      spanRow[i] = r;
      spansByTrack[spanTrack[i]].push(i);
    }
    rowEnds.forEach((e, t) => { spanRows[t] = Math.min(e.length, 40); });
  }

  // ---------- formatting ----------
  const INT_HEX: any = { '%x': 1, '%lx': 1, '%llx': 1, '%p': 1 };
  function formatNumber(v: number): string {
    if (v - v !== 0) return String(v);
    return v === 0 && 1 / v < 0 ? '-0' : JSON.stringify(v);
  }
  function fieldText(m: number, f: number, row: number): string | undefined {
    const field = markers[m].fields[f];
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
    let line = '[' + isoTime(ts[i]) + '] ' + markers[m].name + ':';
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

  // ---------- DOM ----------
  const $ = (id: string): any => document.getElementById(id);
  const canvas = $('timeline');
  const hist = $('histogram');
  const tooltip = $('tooltip');
  const details = $('details');
  const status = $('status');
  const ctx = canvas.getContext('2d');
  const hctx = hist.getContext('2d');
  // An event may come a little before its packet's timestamp_begin (the origin): start there.
  const fullStart = Math.min(0, N > 0 ? ts[0] : 0);
  const fullEnd = Math.max(fullStart + 1, meta.durationNs, N > 0 ? ts[N - 1] : 0);
  let viewStart = fullStart;
  let viewEnd = fullEnd;
  let width = 800;
  let height = 400;
  let searchHits: Uint8Array | null = null;
  let searchMarkers: Uint8Array | null = null;
  let hoverEvent = -1;
  let hoverSpan = -1;
  let selecting: { x0: number; x1: number } | null = null;
  let panning: { x: number; start: number; end: number } | null = null;

  // Track layout
  const trackY: number[] = [];
  const trackH: number[] = [];
  function layout(): number {
    let y = AXIS_H;
    for (let t = 0; t < tracks.length; t++) {
      trackY[t] = y;
      trackH[t] = EVENT_ROW_H + spanRows[t] * SPAN_ROW_H;
      y += trackH[t] + TRACK_GAP;
    }
    return y;
  }

  function xOf(tNs: number): number {
    return LABEL_W + ((tNs - viewStart) / (viewEnd - viewStart)) * (width - LABEL_W);
  }
  function tOf(x: number): number {
    return viewStart + ((x - LABEL_W) / (width - LABEL_W)) * (viewEnd - viewStart);
  }
  function lowerBound(arr: Float64Array, v: number): number {
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (arr[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose time is past v. */
  function upperBound(arr: Float64Array, v: number): number {
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (arr[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  function resize(): void {
    const dpr = window.devicePixelRatio || 1;
    const wrap = $('timeline-wrap');
    width = Math.max(400, wrap.clientWidth);
    height = Math.max(layout(), 100);
    canvas.width = Math.floor(width * dpr);
    canvas.height = Math.floor(height * dpr);
    canvas.style.width = width + 'px';
    canvas.style.height = height + 'px';
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const hw = Math.max(400, $('histogram-wrap').clientWidth);
    hist.width = Math.floor(hw * dpr);
    hist.height = Math.floor(70 * dpr);
    hist.style.width = hw + 'px';
    hist.style.height = '70px';
    hctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }

  function niceStep(rangeNs: number, px: number): number {
    const target = (rangeNs / px) * 100;
    const pow = Math.pow(10, Math.floor(Math.log10(Math.max(target, 1e-3))));
    for (const m of [1, 2, 5, 10]) if (pow * m >= target) return pow * m;
    return pow * 10;
  }

  let lastDrawMs = 0;
  function draw(): void {
    const t0 = performance.now();
    ctx.clearRect(0, 0, width, height);
    ctx.font = '11px sans-serif';
    ctx.textBaseline = 'middle';
    // axis
    const step = niceStep(viewEnd - viewStart, width - LABEL_W);
    ctx.fillStyle = '#f4f4f4';
    ctx.fillRect(0, 0, width, AXIS_H);
    ctx.strokeStyle = '#e2e2e2';
    ctx.fillStyle = '#444';
    for (let t = Math.ceil(viewStart / step) * step; t <= viewEnd; t += step) {
      const x = xOf(t);
      ctx.beginPath();
      ctx.moveTo(x + 0.5, AXIS_H - 6);
      ctx.lineTo(x + 0.5, height);
      ctx.stroke();
      ctx.fillText(duration(t), x + 3, AXIS_H / 2);
    }
    const plotW = width - LABEL_W;
    const lo = lowerBound(ts, viewStart);
    const hi = upperBound(ts, viewEnd);
    // Level of detail: counts per pixel column and track; the colour of the last event there.
    const cols = Math.max(1, Math.ceil(plotW));
    const counts = new Uint32Array(tracks.length * cols);
    const last = new Int32Array(tracks.length * cols).fill(-1);
    const hit = searchHits !== null ? new Uint8Array(tracks.length * cols) : null;
    const scale = plotW / (viewEnd - viewStart);
    let shown = 0;
    for (let i = lo; i < hi; i++) {
      const m = evMarker[i];
      if (visible[m] === 0) continue;
      let c = Math.floor((ts[i] - viewStart) * scale);
      if (c >= cols) c = cols - 1;
      const k = evTrack[i] * cols + c;
      counts[k]++;
      last[k] = m;
      if (hit !== null && searchHits![i] === 1) hit[k] = 1;
      shown++;
    }
    for (let t = 0; t < tracks.length; t++) {
      const y = trackY[t];
      ctx.fillStyle = t % 2 === 0 ? '#fafafa' : '#f3f5f8';
      ctx.fillRect(0, y, width, trackH[t]);
      // lost ranges
      for (const l of meta.lost) {
        if (l.track !== t || l.endNs < viewStart || l.startNs > viewEnd) continue;
        const x0 = Math.max(LABEL_W, xOf(l.startNs));
        const x1 = Math.min(width, Math.max(xOf(l.endNs), x0 + 2));
        ctx.fillStyle = 'rgba(220, 40, 40, 0.28)';
        ctx.fillRect(x0, y, x1 - x0, trackH[t]);
        ctx.fillStyle = '#b00';
        ctx.fillRect(x0, y, x1 - x0, 3);
        if (x1 - x0 > 60) ctx.fillText(l.count + ' ' + l.kind + ' lost', x0 + 3, y + EVENT_ROW_H / 2);
      }
      const rowBase = t * cols;
      for (let c = 0; c < cols; c++) {
        const n = counts[rowBase + c];
        if (n === 0) continue;
        const h = Math.min(EVENT_ROW_H - 6, 12 + Math.log2(n) * 2);
        ctx.fillStyle = markerColor(last[rowBase + c]);
        ctx.fillRect(LABEL_W + c, y + EVENT_ROW_H - 3 - h, n === 1 && scale * 1000 > 1 ? 2 : 1, h);
        if (hit !== null && hit[rowBase + c] === 1) {
          ctx.fillStyle = '#000';
          ctx.fillRect(LABEL_W + c - 1, y + 1, 3, 3);
        }
      }
      // spans
      for (const i of spansByTrack[t]) {
        const s = spanStart[i];
        const e = s + spanDur[i];
        if (e < viewStart || s > viewEnd) continue;
        const row = spanRow[i];
        if (row >= 40) continue;
        const x0 = Math.max(LABEL_W, xOf(s));
        const x1 = Math.min(width, xOf(e));
        const w = Math.max(1, x1 - x0);
        const yy = y + EVENT_ROW_H + row * SPAN_ROW_H;
        ctx.fillStyle = spanFlags[i] === 1 ? '#c9b7d8' : COLORS[(spanName[i] + 3) % COLORS.length];
        ctx.fillRect(x0, yy, w, SPAN_ROW_H - 2);
        if (w > 40) {
          ctx.fillStyle = '#fff';
          ctx.save();
          ctx.beginPath();
          ctx.rect(x0, yy, w, SPAN_ROW_H - 2);
          ctx.clip();
          ctx.fillText(str(spanName[i]) + ' ' + duration(spanDur[i]), x0 + 3, yy + (SPAN_ROW_H - 2) / 2);
          ctx.restore();
        }
      }
      // label
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, y, LABEL_W - 4, trackH[t]);
      ctx.fillStyle = '#222';
      ctx.fillText(tracks[t].name, 6, y + 9);
      ctx.fillStyle = '#777';
      ctx.fillText(tracks[t].process, 6, y + 21);
    }
    if (hoverEvent >= 0 && hoverEvent < N) {
      const x = xOf(ts[hoverEvent]);
      const y = trackY[evTrack[hoverEvent]];
      ctx.strokeStyle = '#000';
      ctx.strokeRect(x - 3.5, y + 0.5, 7, EVENT_ROW_H - 1);
    }
    if (selecting !== null) {
      ctx.fillStyle = 'rgba(60, 120, 220, 0.18)';
      const a = Math.min(selecting.x0, selecting.x1);
      ctx.fillRect(a, AXIS_H, Math.abs(selecting.x1 - selecting.x0), height - AXIS_H);
    }
    canvas.dataset.viewStart = String(viewStart);
    canvas.dataset.viewEnd = String(viewEnd);
    canvas.dataset.shownEvents = String(shown);
    drawHistogram();
    lastDrawMs = performance.now() - t0;
    status.textContent = 'view ' + duration(viewStart) + ' – ' + duration(viewEnd) + ' (' + duration(viewEnd - viewStart) + '), ' + shown.toLocaleString() + ' events shown' + (meta.sampleEvery > 1 ? ' (sampled)' : '') + ', drawn in ' + lastDrawMs.toFixed(0) + ' ms';
  }

  const bins: Uint32Array = sec.bins;
  const B = meta.histogramBins;
  function drawHistogram(): void {
    const w = hist.width / (window.devicePixelRatio || 1);
    const h = 70;
    hctx.clearRect(0, 0, w, h);
    hctx.fillStyle = '#f4f4f4';
    hctx.fillRect(0, 0, w, h);
    const plotW = w - LABEL_W;
    const totals = new Float64Array(Math.max(1, B));
    let max = 0;
    for (let b = 0; b < B; b++) {
      let sum = 0;
      for (let m = 0; m < markerCount; m++) if (visible[m] === 1) sum += bins[m * B + b];
      totals[b] = sum;
      if (sum > max) max = sum;
    }
    hctx.fillStyle = '#4e79a7';
    for (let b = 0; b < B; b++) {
      if (totals[b] === 0) continue;
      const x = LABEL_W + (b / B) * plotW;
      const bh = (totals[b] / max) * (h - 14);
      hctx.fillRect(x, h - bh, Math.max(1, plotW / B), bh);
    }
    const x0 = LABEL_W + ((viewStart - fullStart) / (fullEnd - fullStart)) * plotW;
    const x1 = LABEL_W + ((viewEnd - fullStart) / (fullEnd - fullStart)) * plotW;
    hctx.fillStyle = 'rgba(240, 140, 40, 0.25)';
    hctx.fillRect(x0, 0, Math.max(2, x1 - x0), h);
    hctx.fillStyle = '#333';
    hctx.font = '11px sans-serif';
    hctx.fillText('events over time', 6, 14);
    hctx.fillText('peak ' + max.toLocaleString() + ' / bin', 6, 30);
  }

  let frame = 0;
  function redraw(): void {
    if (frame !== 0) return;
    frame = window.requestAnimationFrame(() => { frame = 0; draw(); });
  }

  function setView(a: number, b: number): void {
    const minSpan = 100;
    if (b - a < minSpan) {
      const c = (a + b) / 2;
      a = c - minSpan / 2;
      b = c + minSpan / 2;
    }
    const span = b - a;
    const pad = (fullEnd - fullStart) * 0.05;
    if (a < fullStart - pad) { a = fullStart - pad; b = a + span; }
    if (b > fullEnd + pad) { b = fullEnd + pad; a = Math.max(fullStart - pad, b - span); }
    viewStart = a;
    viewEnd = b;
    redraw();
  }

  // ---------- hover, click ----------
  function trackAt(y: number): number {
    for (let t = 0; t < tracks.length; t++) if (y >= trackY[t] && y < trackY[t] + trackH[t]) return t;
    return -1;
  }
  function eventAt(x: number, y: number): number {
    const t = trackAt(y);
    if (t < 0 || y >= trackY[t] + EVENT_ROW_H) return -1;
    const tx = tOf(x);
    const tol = (4 * (viewEnd - viewStart)) / (width - LABEL_W);
    const lo = lowerBound(ts, tx - tol);
    const hi = lowerBound(ts, tx + tol);
    let best = -1;
    let bestD = Infinity;
    for (let i = lo; i < hi && i < lo + 200000; i++) {
      if (evTrack[i] !== t || visible[evMarker[i]] === 0) continue;
      const d = Math.abs(ts[i] - tx);
      if (d < bestD) { bestD = d; best = i; }
    }
    return best;
  }
  function spanAt(x: number, y: number): number {
    const t = trackAt(y);
    if (t < 0 || y < trackY[t] + EVENT_ROW_H) return -1;
    const row = Math.floor((y - trackY[t] - EVENT_ROW_H) / SPAN_ROW_H);
    const tx = tOf(x);
    const tol = (2 * (viewEnd - viewStart)) / (width - LABEL_W);
    for (const i of spansByTrack[t]) if (spanRow[i] === row && spanStart[i] - tol <= tx && spanStart[i] + spanDur[i] + tol >= tx) return i;
    return -1;
  }
  function spanText(i: number): string {
    const head = str(spanName[i]) + ': ' + duration(spanDur[i]) + (spanFlags[i] === 1 ? ' (did not end in the trace)' : '');
    return spanDetail[i] === 0xffffffff ? head : head + '\n' + str(spanDetail[i]);
  }
  function showDetails(text: string, kind: string, index: number): void {
    details.textContent = text;
    details.dataset.kind = kind;
    details.dataset.index = String(index);
  }

  canvas.addEventListener('mousemove', (ev: any) => {
    const r = canvas.getBoundingClientRect();
    const x = ev.clientX - r.left;
    const y = ev.clientY - r.top;
    if (selecting !== null) { selecting.x1 = x; redraw(); return; }
    if (panning !== null) {
      const dt = ((x - panning.x) / (width - LABEL_W)) * (panning.end - panning.start);
      setView(panning.start - dt, panning.end - dt);
      return;
    }
    const e = x > LABEL_W ? eventAt(x, y) : -1;
    const s = e < 0 && x > LABEL_W ? spanAt(x, y) : -1;
    if (e !== hoverEvent || s !== hoverSpan) { hoverEvent = e; hoverSpan = s; redraw(); }
    let text = '';
    if (e >= 0) text = eventLine(e);
    else if (s >= 0) text = spanText(s);
    if (text === '') { tooltip.style.display = 'none'; tooltip.textContent = ''; return; }
    tooltip.textContent = text;
    tooltip.style.display = 'block';
    tooltip.style.left = Math.min(ev.clientX + 12, window.innerWidth - 420) + 'px';
    tooltip.style.top = ev.clientY + 14 + 'px';
  });
  canvas.addEventListener('mouseleave', () => { tooltip.style.display = 'none'; });
  canvas.addEventListener('mousedown', (ev: any) => {
    const r = canvas.getBoundingClientRect();
    const x = ev.clientX - r.left;
    if (x < LABEL_W) return;
    if (ev.button === 0 && !ev.shiftKey) selecting = { x0: x, x1: x };
    else panning = { x, start: viewStart, end: viewEnd };
    ev.preventDefault();
  });
  window.addEventListener('mouseup', (ev: any) => {
    if (selecting !== null) {
      const s = selecting;
      selecting = null;
      if (Math.abs(s.x1 - s.x0) > 4) setView(tOf(Math.min(s.x0, s.x1)), tOf(Math.max(s.x0, s.x1)));
      else {
        const r = canvas.getBoundingClientRect();
        const y = ev.clientY - r.top;
        const e = eventAt(s.x0, y);
        const sp = e < 0 ? spanAt(s.x0, y) : -1;
        if (e >= 0) showDetails(eventLine(e), 'event', e);
        else if (sp >= 0) showDetails(spanText(sp), 'span', sp);
        redraw();
      }
    }
    panning = null;
  });
  canvas.addEventListener('contextmenu', (ev: any) => ev.preventDefault());
  canvas.addEventListener('wheel', (ev: any) => {
    ev.preventDefault();
    const r = canvas.getBoundingClientRect();
    const x = Math.max(LABEL_W, ev.clientX - r.left);
    if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
      const d = ((ev.shiftKey ? ev.deltaY : ev.deltaX) / (width - LABEL_W)) * (viewEnd - viewStart);
      setView(viewStart + d, viewEnd + d);
      return;
    }
    const at = tOf(x);
    const f = Math.exp(ev.deltaY * 0.002);
    setView(at - (at - viewStart) * f, at + (viewEnd - at) * f);
  }, { passive: false });
  window.addEventListener('keydown', (ev: any) => {
    if (ev.target && ev.target.tagName === 'INPUT') return;
    const span = viewEnd - viewStart;
    if (ev.key === 'ArrowLeft' || ev.key === 'a') setView(viewStart - span * 0.2, viewEnd - span * 0.2);
    else if (ev.key === 'ArrowRight' || ev.key === 'd') setView(viewStart + span * 0.2, viewEnd + span * 0.2);
    else if (ev.key === 'w' || ev.key === '+') setView(viewStart + span * 0.25, viewEnd - span * 0.25);
    else if (ev.key === 's' || ev.key === '-') setView(viewStart - span * 0.5, viewEnd + span * 0.5);
    else if (ev.key === '0') setView(fullStart, fullEnd);
  });
  // histogram: click centres the view, drag selects
  let histDrag: number | null = null;
  const histT = (x: number): number => fullStart + ((x - LABEL_W) / (hist.width / (window.devicePixelRatio || 1) - LABEL_W)) * (fullEnd - fullStart);
  hist.addEventListener('mousedown', (ev: any) => { histDrag = ev.clientX - hist.getBoundingClientRect().left; });
  hist.addEventListener('mouseup', (ev: any) => {
    if (histDrag === null) return;
    const x = ev.clientX - hist.getBoundingClientRect().left;
    if (Math.abs(x - histDrag) > 4) setView(histT(Math.min(x, histDrag)), histT(Math.max(x, histDrag)));
    else {
      const c = histT(x);
      const span = viewEnd - viewStart;
      setView(c - span / 2, c + span / 2);
    }
    histDrag = null;
  });
  $('reset').addEventListener('click', () => setView(fullStart, fullEnd));

  // ---------- marker table ----------
  const tbody = $('markers-body');
  const fmtRate = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString() : n.toFixed(n >= 1 ? 1 : 3)) + '/s';
  markers.forEach((m: any, i: number) => {
    const tr = document.createElement('tr');
    tr.dataset.marker = m.name;
    const rate = meta.durationNs > 0 ? (m.count / meta.durationNs) * 1e9 : 0;
    const cells = [m.name, m.count.toLocaleString(), fmtRate(rate), duration(m.firstNs), duration(m.lastNs)];
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = true;
    box.addEventListener('change', () => { visible[i] = box.checked ? 1 : 0; redraw(); });
    const td0 = document.createElement('td');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = markerColor(i);
    td0.append(box, sw);
    tr.append(td0);
    cells.forEach((c, ci) => {
      const td = document.createElement('td');
      td.textContent = c;
      if (ci > 0) td.className = 'num';
      tr.append(td);
    });
    tr.children[1].addEventListener('click', () => {
      // Click a name: show only that marker (click again: all).
      const only = visible.every((v: number, k: number) => (k === i ? v === 1 : v === 0));
      visible.fill(only ? 1 : 0);
      visible[i] = 1;
      tbody.querySelectorAll('input').forEach((b: any, k: number) => { b.checked = visible[k] === 1; });
      redraw();
    });
    tbody.append(tr);
  });
  $('all').addEventListener('click', () => { visible.fill(1); tbody.querySelectorAll('input').forEach((b: any) => { b.checked = true; }); redraw(); });
  $('none').addEventListener('click', () => { visible.fill(0); tbody.querySelectorAll('input').forEach((b: any) => { b.checked = false; }); redraw(); });

  // ---------- search ----------
  const results = $('results');
  function search(q: string): void {
    results.textContent = '';
    if (q.trim() === '') { searchHits = null; searchMarkers = null; results.dataset.count = '0'; redraw(); return; }
    const needle = q.toLowerCase();
    searchMarkers = new Uint8Array(markerCount);
    markers.forEach((m: any, i: number) => { if (m.name.toLowerCase().includes(needle)) searchMarkers![i] = 1; });
    const strHit = new Uint8Array(meta.strings);
    for (let s = 0; s < meta.strings; s++) if (str(s).toLowerCase().includes(needle)) strHit[s] = 1;
    const asNumber = Number(q);
    const numeric = q.trim() !== '' && !Number.isNaN(asNumber);
    const hits = new Uint8Array(N);
    let count = 0;
    const list: number[] = [];
    for (let i = 0; i < N; i++) {
      const m = evMarker[i];
      let ok = searchMarkers[m] === 1;
      if (!ok) {
        const fields = markers[m].fields;
        const row = rowOf[i];
        for (let f = 0; f < fields.length && !ok; f++) {
          const v = columns[m][f][row];
          if (fields[f].kind === 'text') ok = v !== fields[f].missing && strHit[v] === 1;
          else ok = numeric && v === asNumber;
        }
      }
      if (ok) {
        hits[i] = 1;
        count++;
        if (list.length < 200) list.push(i);
      }
    }
    searchHits = hits;
    results.dataset.count = String(count);
    const head = document.createElement('div');
    head.className = 'muted';
    head.textContent = count.toLocaleString() + ' matching events' + (count > list.length ? ' (first ' + list.length + ' listed)' : '');
    results.append(head);
    for (const i of list) {
      const div = document.createElement('div');
      div.className = 'hit';
      div.textContent = duration(ts[i]) + '  ' + eventLine(i).replace(/^\[[^\]]*\] /, '');
      div.addEventListener('click', () => {
        const span = Math.min(viewEnd - viewStart, Math.max(1000, (fullEnd - fullStart) / 1000));
        setView(ts[i] - span / 2, ts[i] + span / 2);
        showDetails(eventLine(i), 'event', i);
      });
      results.append(div);
    }
    redraw();
  }
  let searchTimer = 0;
  $('search').addEventListener('input', (ev: any) => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => search(ev.target.value), 200);
  });
  $('search').addEventListener('keydown', (ev: any) => { if (ev.key === 'Enter') { window.clearTimeout(searchTimer); search(ev.target.value); } });

  // ---------- summary ----------
  const lostTotal = meta.lost.reduce((n: bigint, l: any) => n + BigInt(l.count), 0n);
  const summary = meta.totalEvents.toLocaleString() + ' events, ' + markerCount + ' markers, ' + tracks.length + ' tracks, ' + duration(meta.durationNs) + (lostTotal > 0n ? ', ' + lostTotal.toLocaleString() + ' lost' : '');
  $('summary').textContent = summary;
  const notes: string[] = [];
  if (meta.sampleEvery > 1) notes.push('Sampled: the timeline shows ' + N.toLocaleString() + ' of ' + meta.totalEvents.toLocaleString() + ' events (1 in ' + meta.sampleEvery + '). Counts, rates, first/last and the histogram cover every event.');
  if (meta.spansDropped > 0) notes.push(meta.spansDropped.toLocaleString() + ' spans beyond the first 2,000,000 are not drawn.');
  if (meta.damage !== undefined) notes.push('The trace is damaged; shown up to the damage: ' + meta.damage);
  const notice = $('notice');
  notice.textContent = notes.join(' ');
  notice.style.display = notes.length > 0 ? 'block' : 'none';

  window.addEventListener('resize', () => { resize(); redraw(); });
  resize();
  draw();
  window.tracemarkView = {
    ready: true,
    get viewStart() { return viewStart; },
    get viewEnd() { return viewEnd; },
    setView,
    /** Page coordinates (CSS px, relative to the canvas) of kept event i. */
    eventPoint(i: number) { return { x: xOf(ts[i]), y: trackY[evTrack[i]] + EVENT_ROW_H / 2 }; },
    find(name: string, nth = 0) { let k = 0; for (let i = 0; i < N; i++) if (markers[evMarker[i]].name === name && k++ === nth) return i; return -1; },
    trackOf(i: number) { return evTrack[i]; },
    eventTime(i: number) { return ts[i]; },
    eventLine,
    lastDrawMs: () => lastDrawMs,
  };
  document.body.dataset.ready = 'true';
}
