/**
 * The page's own code. These functions are not called in Node: page.ts embeds their source
 * text (Function.prototype.toString of the compiled functions) in the HTML and the page calls
 * `viewerMain({ data, format, canvas })` with the others, so each must use nothing from outside
 * its body but its parameters and the browser's globals, declared as `any` (the project's
 * TypeScript settings have no DOM library).
 *
 * main.ts: start-up (core data → text → canvas → first frame → field columns), the interactions (hover, click,
 * wheel and drag zoom, pan, keys, histogram), the marker table, search, the summary and the
 * `window.tracemarkView` handle the tests use.
 */
/* eslint-disable */
declare const document: any;
declare const window: any;

export async function viewerMain(lib: any): Promise<void> {
  const meta = JSON.parse(document.getElementById('tm-meta').textContent);
  const sec: any = {};
  // The core part (times, tracks, markers, spans, strings, histogram) is all the first frame
  // needs; the field columns come after it in the page and are decoded once it is drawn.
  await lib.data(meta, 'core', sec);
  const fmt = lib.format(meta, sec);
  const { str, rowOf, eventLine, duration } = fmt;
  const ts: Float64Array = sec.ts;
  const evMarker = sec.marker;
  const N = ts.length;
  const markers = meta.markers;
  const markerCount = markers.length;
  // An event may come a little before its packet's timestamp_begin (the origin): start there.
  const fullStart = Math.min(0, N > 0 ? ts[0] : 0);
  const fullEnd = Math.max(fullStart + 1, meta.durationNs, N > 0 ? ts[N - 1] : 0);
  const st: any = {
    viewStart: fullStart, viewEnd: fullEnd, fullStart, fullEnd, width: 800, height: 400,
    visible: new Uint8Array(markerCount).fill(1), searchHits: null, hoverEvent: -1, selecting: null, lastDrawMs: 0,
  };
  const view = lib.canvas(meta, sec, fmt, st);
  const { LABEL_W, canvas, hist } = view;
  const visible: Uint8Array = st.visible;
  const $ = (id: string): any => document.getElementById(id);
  const tooltip = $('tooltip');
  const details = $('details');
  let hoverSpan = -1;
  let panning: { x: number; start: number; end: number } | null = null;

  let frame = 0;
  function redraw(): void {
    if (frame !== 0) return;
    frame = window.requestAnimationFrame(() => { frame = 0; view.draw(); });
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
    st.viewStart = a;
    st.viewEnd = b;
    redraw();
  }

  // ---------- hover, click ----------
  const spanDetail: Uint32Array = sec.spanDetail;
  function spanText(i: number): string {
    const head = str(sec.spanName[i]) + ': ' + duration(sec.spanDur[i]) + (sec.spanFlags[i] === 1 ? ' (did not end in the trace)' : '');
    return spanDetail[i] === 0xffffffff ? head : head + '\n' + str(spanDetail[i]);
  }
  function showDetails(text: string, kind: string, index: number): void {
    details.textContent = text;
    details.dataset.kind = kind;
    details.dataset.index = String(index);
  }
  const width = (): number => st.width;
  canvas.addEventListener('mousemove', (ev: any) => {
    const r = canvas.getBoundingClientRect();
    const x = ev.clientX - r.left;
    const y = ev.clientY - r.top;
    if (st.selecting !== null) { st.selecting.x1 = x; redraw(); return; }
    if (panning !== null) {
      const dt = ((x - panning.x) / (width() - LABEL_W)) * (panning.end - panning.start);
      setView(panning.start - dt, panning.end - dt);
      return;
    }
    const e = x > LABEL_W ? view.eventAt(x, y) : -1;
    const s = e < 0 && x > LABEL_W ? view.spanAt(x, y) : -1;
    if (e !== st.hoverEvent || s !== hoverSpan) { st.hoverEvent = e; hoverSpan = s; redraw(); }
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
    const x = ev.clientX - canvas.getBoundingClientRect().left;
    if (x < LABEL_W) return;
    if (ev.button === 0 && !ev.shiftKey) st.selecting = { x0: x, x1: x };
    else panning = { x, start: st.viewStart, end: st.viewEnd };
    ev.preventDefault();
  });
  window.addEventListener('mouseup', (ev: any) => {
    if (st.selecting !== null) {
      const s = st.selecting;
      st.selecting = null;
      if (Math.abs(s.x1 - s.x0) > 4) setView(view.tOf(Math.min(s.x0, s.x1)), view.tOf(Math.max(s.x0, s.x1)));
      else {
        const y = ev.clientY - canvas.getBoundingClientRect().top;
        const e = view.eventAt(s.x0, y);
        const sp = e < 0 ? view.spanAt(s.x0, y) : -1;
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
    const x = Math.max(LABEL_W, ev.clientX - canvas.getBoundingClientRect().left);
    const { viewStart, viewEnd } = st;
    if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
      const d = ((ev.shiftKey ? ev.deltaY : ev.deltaX) / (width() - LABEL_W)) * (viewEnd - viewStart);
      setView(viewStart + d, viewEnd + d);
      return;
    }
    const at = view.tOf(x);
    const f = Math.exp(ev.deltaY * 0.002);
    setView(at - (at - viewStart) * f, at + (viewEnd - at) * f);
  }, { passive: false });
  window.addEventListener('keydown', (ev: any) => {
    if (ev.target && ev.target.tagName === 'INPUT') return;
    const { viewStart, viewEnd } = st;
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
      const span = st.viewEnd - st.viewStart;
      setView(c - span / 2, c + span / 2);
    }
    histDrag = null;
  });
  $('reset').addEventListener('click', () => setView(fullStart, fullEnd));

  // ---------- marker table ----------
  const tbody = $('markers-body');
  const fmtRate = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString() : n.toFixed(n >= 1 ? 1 : 3)) + '/s';
  const setBoxes = (): void => tbody.querySelectorAll('input').forEach((b: any, k: number) => { b.checked = visible[k] === 1; });
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
    sw.style.background = view.markerColor(i);
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
      setBoxes();
      redraw();
    });
    tbody.append(tr);
  });
  $('all').addEventListener('click', () => { visible.fill(1); setBoxes(); redraw(); });
  $('none').addEventListener('click', () => { visible.fill(0); setBoxes(); redraw(); });

  // ---------- search ----------
  const results = $('results');
  function search(q: string): void {
    results.textContent = '';
    const columns = fmt.columns();
    if (columns === null) { results.textContent = 'the fields are still loading'; return; }
    if (q.trim() === '') { st.searchHits = null; results.dataset.count = '0'; redraw(); return; }
    const needle = q.toLowerCase();
    const nameHit = new Uint8Array(markerCount);
    markers.forEach((m: any, i: number) => { if (m.name.toLowerCase().includes(needle)) nameHit[i] = 1; });
    const strHit = new Uint8Array(meta.strings);
    for (let s = 0; s < meta.strings; s++) if (str(s).toLowerCase().includes(needle)) strHit[s] = 1;
    const asNumber = Number(q);
    const numeric = q.trim() !== '' && !Number.isNaN(asNumber);
    const hits = new Uint8Array(N);
    let count = 0;
    const list: number[] = [];
    for (let i = 0; i < N; i++) {
      const m = evMarker[i];
      let ok = nameHit[m] === 1;
      if (!ok) {
        const fields = markers[m].fields;
        const row = rowOf[i];
        for (let f = 0; f < fields.length && !ok; f++) {
          const v = columns![m][f][row];
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
    st.searchHits = hits;
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
        const span = Math.min(st.viewEnd - st.viewStart, Math.max(1000, (fullEnd - fullStart) / 1000));
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
  $('summary').textContent = meta.totalEvents.toLocaleString() + ' events, ' + markerCount + ' markers, ' + meta.tracks.length + ' tracks, ' + duration(meta.durationNs) + (lostTotal > 0n ? ', ' + lostTotal.toLocaleString() + ' lost' : '');
  const notes: string[] = [];
  if (meta.sampleEvery > 1) notes.push('Sampled: the timeline shows ' + N.toLocaleString() + ' of ' + meta.totalEvents.toLocaleString() + ' events (1 in ' + meta.sampleEvery + '). Counts, rates, first/last and the histogram cover every event.');
  if (meta.spansDropped > 0) notes.push(meta.spansDropped.toLocaleString() + ' spans beyond the first 2,000,000 are not drawn.');
  if (meta.damage !== undefined) notes.push('The trace is damaged; shown up to the damage: ' + meta.damage);
  const notice = $('notice');
  notice.textContent = notes.join(' ');
  notice.style.display = notes.length > 0 ? 'block' : 'none';

  window.addEventListener('resize', () => { view.resize(); redraw(); });
  view.resize();
  view.draw();
  const firstFrameMs = window.performance.now();
  document.body.dataset.firstFrame = 'true';
  if (document.readyState === 'loading') await new Promise((resolve) => document.addEventListener('DOMContentLoaded', resolve, { once: true }));
  await lib.data(meta, 'fields', sec);
  fmt.fieldsLoaded();
  window.tracemarkView = {
    ready: true,
    /** ms from navigation start to the end of the first frame (drawn before the fields load). */
    firstFrameMs,
    /** ms from navigation start to the moment everything is loaded (hover shows fields, search works). */
    readyAtMs: window.performance.now(),
    get viewStart() { return st.viewStart; },
    get viewEnd() { return st.viewEnd; },
    setView,
    eventPoint: view.eventPoint,
    find(name: string, nth = 0) { let k = 0; for (let i = 0; i < N; i++) if (markers[evMarker[i]].name === name && k++ === nth) return i; return -1; },
    trackOf(i: number) { return sec.track[i]; },
    eventTime(i: number) { return ts[i]; },
    eventLine,
    lastDrawMs: () => st.lastDrawMs,
  };
  document.body.dataset.ready = 'true';
}
