/**
 * The page's drawing (page code: see main.ts for the rules). Per track, events are counted per
 * pixel column of the visible range (level of detail: a pixel shows how many events fall in
 * it, drawn in the colour of the last one), span bars in rows, lost-event ranges as red bands.
 * The events-over-time histogram comes from exact per-marker bins of the whole trace. `st` is
 * the view state shared with main.ts (range, size, filters, hover, selection).
 */
/* eslint-disable */
declare const document: any;
declare const window: any;
declare const performance: any;

export function viewerCanvas(meta: any, sec: any, fmt: any, st: any): any {
  const LABEL_W = 200;
  const EVENT_ROW_H = 28;
  const SPAN_ROW_H = 14;
  const TRACK_GAP = 6;
  const AXIS_H = 22;
  const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac', '#e15759'];
  const ts: Float64Array = sec.ts;
  const evTrack = sec.track;
  const evMarker = sec.marker;
  const tracks = meta.tracks;
  const markerCount = meta.markers.length;
  const markerColor = (m: number): string => COLORS[m % COLORS.length];
  const { str, duration } = fmt;
  const $ = (id: string): any => document.getElementById(id);
  const canvas = $('timeline');
  const hist = $('histogram');
  const status = $('status');
  const ctx = canvas.getContext('2d');
  const hctx = hist.getContext('2d');

  // Spans: rows per track, first fit by start time.
  const spanStart: Float64Array = sec.spanStart;
  const spanDur: Float64Array = sec.spanDur;
  const spanTrack = sec.spanTrack;
  const spanName: Uint32Array = sec.spanName;
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
  const xOf = (tNs: number): number => LABEL_W + ((tNs - st.viewStart) / (st.viewEnd - st.viewStart)) * (st.width - LABEL_W);
  const tOf = (x: number): number => st.viewStart + ((x - LABEL_W) / (st.width - LABEL_W)) * (st.viewEnd - st.viewStart);
  /** First index whose time is not below v (`past`: above v). */
  function bound(v: number, past: boolean): number {
    let lo = 0;
    let hi = ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ts[mid] < v || (past && ts[mid] === v)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  function resize(): void {
    const dpr = window.devicePixelRatio || 1;
    st.width = Math.max(400, $('timeline-wrap').clientWidth);
    st.height = Math.max(layout(), 100);
    canvas.width = Math.floor(st.width * dpr);
    canvas.height = Math.floor(st.height * dpr);
    canvas.style.width = st.width + 'px';
    canvas.style.height = st.height + 'px';
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

  function drawTrack(t: number, cols: number, counts: Uint32Array, last: Int32Array, hit: Uint8Array | null, scale: number): void {
    const { width, viewStart, viewEnd } = st;
    const y = trackY[t];
    ctx.fillStyle = t % 2 === 0 ? '#fafafa' : '#f3f5f8';
    ctx.fillRect(0, y, width, trackH[t]);
    for (const l of meta.lost) {
      if (l.track !== t || l.endNs < viewStart || l.startNs > viewEnd) continue;
      // At least 2 px, inside the canvas: losses reported by a trace's last packet (a ring that
      // stayed full to the end) start at the view's right edge.
      const x0 = Math.min(Math.max(LABEL_W, xOf(l.startNs)), width - 2);
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
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, y, LABEL_W - 4, trackH[t]);
    ctx.fillStyle = '#222';
    ctx.fillText(tracks[t].name, 6, y + 9);
    ctx.fillStyle = '#777';
    ctx.fillText(tracks[t].process, 6, y + 21);
  }

  function draw(): void {
    const t0 = performance.now();
    const { width, height, viewStart, viewEnd, visible, searchHits } = st;
    ctx.clearRect(0, 0, width, height);
    ctx.font = '11px sans-serif';
    ctx.textBaseline = 'middle';
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
    const lo = bound(viewStart, false);
    const hi = bound(viewEnd, true);
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
      if (hit !== null && searchHits[i] === 1) hit[k] = 1;
      shown++;
    }
    for (let t = 0; t < tracks.length; t++) drawTrack(t, cols, counts, last, hit, scale);
    if (st.hoverEvent >= 0 && st.hoverEvent < ts.length) {
      const x = xOf(ts[st.hoverEvent]);
      const y = trackY[evTrack[st.hoverEvent]];
      ctx.strokeStyle = '#000';
      ctx.strokeRect(x - 3.5, y + 0.5, 7, EVENT_ROW_H - 1);
    }
    if (st.selecting !== null) {
      ctx.fillStyle = 'rgba(60, 120, 220, 0.18)';
      const a = Math.min(st.selecting.x0, st.selecting.x1);
      ctx.fillRect(a, AXIS_H, Math.abs(st.selecting.x1 - st.selecting.x0), height - AXIS_H);
    }
    canvas.dataset.viewStart = String(viewStart);
    canvas.dataset.viewEnd = String(viewEnd);
    canvas.dataset.shownEvents = String(shown);
    drawHistogram();
    st.lastDrawMs = performance.now() - t0;
    status.textContent = 'view ' + duration(viewStart) + ' – ' + duration(viewEnd) + ' (' + duration(viewEnd - viewStart) + '), ' + shown.toLocaleString() + ' events shown' + (meta.sampleEvery > 1 ? ' (sampled)' : '') + ', drawn in ' + st.lastDrawMs.toFixed(0) + ' ms';
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
      for (let m = 0; m < markerCount; m++) if (st.visible[m] === 1) sum += bins[m * B + b];
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
    const x0 = LABEL_W + ((st.viewStart - st.fullStart) / (st.fullEnd - st.fullStart)) * plotW;
    const x1 = LABEL_W + ((st.viewEnd - st.fullStart) / (st.fullEnd - st.fullStart)) * plotW;
    hctx.fillStyle = 'rgba(240, 140, 40, 0.25)';
    hctx.fillRect(x0, 0, Math.max(2, x1 - x0), h);
    hctx.fillStyle = '#333';
    hctx.font = '11px sans-serif';
    hctx.fillText('events over time', 6, 14);
    hctx.fillText('peak ' + max.toLocaleString() + ' / bin', 6, 30);
  }

  // ---------- what is under the pointer ----------
  function trackAt(y: number): number {
    for (let t = 0; t < tracks.length; t++) if (y >= trackY[t] && y < trackY[t] + trackH[t]) return t;
    return -1;
  }
  function eventAt(x: number, y: number): number {
    const t = trackAt(y);
    if (t < 0 || y >= trackY[t] + EVENT_ROW_H) return -1;
    const tx = tOf(x);
    const tol = (4 * (st.viewEnd - st.viewStart)) / (st.width - LABEL_W);
    const lo = bound(tx - tol, false);
    const hi = bound(tx + tol, false);
    let best = -1;
    let bestD = Infinity;
    for (let i = lo; i < hi && i < lo + 200000; i++) {
      if (evTrack[i] !== t || st.visible[evMarker[i]] === 0) continue;
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
    const tol = (2 * (st.viewEnd - st.viewStart)) / (st.width - LABEL_W);
    for (const i of spansByTrack[t]) if (spanRow[i] === row && spanStart[i] - tol <= tx && spanStart[i] + spanDur[i] + tol >= tx) return i;
    return -1;
  }
  /** Page coordinates (CSS px, relative to the canvas) of kept event i. */
  const eventPoint = (i: number): { x: number; y: number } => ({ x: xOf(ts[i]), y: trackY[evTrack[i]] + EVENT_ROW_H / 2 });

  return { LABEL_W, canvas, hist, markerColor, resize, draw, xOf, tOf, eventAt, spanAt, eventPoint };
}
