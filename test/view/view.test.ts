/**
 * `tracemark view`: the page in a real browser (Debian's chromium through playwright-core, one
 * browser for the whole file): loads from file:// without console errors or network, shows the
 * tracks and a known event with formatEvent's exact line on hover (blob decoders applied), zoom
 * narrows the range, the marker table filters, losses are drawn, search finds field values,
 * --serve answers on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { formatEvent, marker, readTraceSync, registerBlobDecoder, Session, writeTraceView } from '../../src/index.js';
import { CLI, errorCodeOf, tempDir, tracemark } from '../cli/helpers.js';
import { CHROMIUM, openBrowser, type BrowserSession } from './browser.js';

const work = tempDir('tracemark-view-');
const dir = join(work.path, 'trace');
const lossy = join(work.path, 'lossy');
const page = join(work.path, 'view.html');
const lossyPage = join(work.path, 'lossy.html');
/** 5000 events in rings that hold them all. */
const manyDir = join(work.path, 'many');
/** Kept for a person to look at (TRACEMARK_KEEP_SCREENSHOTS=DIR). */
const shots = process.env.TRACEMARK_KEEP_SCREENSHOTS;
let browser: BrowserSession | undefined;
const haveChromium = existsSync(CHROMIUM);

interface ViewApi {
  viewStart: number;
  viewEnd: number;
  find(name: string, nth?: number): number;
  eventPoint(i: number): { x: number; y: number };
  setView(a: number, b: number): void;
  eventTime(i: number): number;
}
declare const window: { tracemarkView: ViewApi };
declare const document: { getElementById(id: string): { dataset: Record<string, string>; textContent: string } };

before(async () => {
  const rx = marker('view:rx', 'len %u proto %s payload %pW');
  const tick = marker('view:tick', 'n %d');
  const reqBegin = marker('vreq:begin', 'span_id %lu path %s');
  const reqEnd = marker('vreq:end', 'span_id %lu status %u');
  const session = new Session({ output: dir });
  session.enable('*');
  session.start();
  for (let i = 0; i < 200; i++) {
    if (i % 50 === 0) reqBegin(i, `/r${i}`);
    rx(1000 + i, i % 4 === 0 ? 'udp' : 'tcp', new Uint8Array([0x68, 0x69, i & 0xff]));
    tick(i);
    if (i % 50 === 25) reqEnd(i - 25, 200);
  }
  await session.close();
  // The page renders blobs with the decoders registered in the process that writes it.
  const off = registerBlobDecoder('view:rx', 'payload', (b) => `hi#${b[2]}`);
  try {
    writeTraceView(dir, page);
  } finally {
    off();
  }
  const burst = marker('view:burst', 'i %u pad %s');
  const lossySession = new Session({ output: lossy, channels: { default: { subbufSize: 512, subbufCount: 2 } } });
  lossySession.enable('view:burst');
  lossySession.start();
  for (let i = 0; i < 30_000; i++) burst(i, 'padding-padding-padding');
  await lossySession.close();
  const many = marker('view:many', 'i %u');
  const manySession = new Session({ output: manyDir });
  manySession.enable('view:many');
  manySession.start();
  for (let i = 0; i < 5000; i++) many(i);
  await manySession.close();
  const run = tracemark(['view', lossy, '-o', lossyPage]);
  assert.equal(run.status, 0, run.stderr);
  if (haveChromium) browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  work.remove();
});

async function load(file: string): Promise<BrowserSession> {
  const b = browser!;
  b.errors.length = 0;
  await b.page.goto(`file://${file}`);
  await b.page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  return b;
}

async function hover(b: BrowserSession, index: number): Promise<string> {
  const box = (await b.page.locator('#timeline').boundingBox())!;
  const point = await b.page.evaluate((i) => window.tracemarkView.eventPoint(i), index);
  await b.page.mouse.move(box.x + point.x, box.y + point.y);
  await b.page.waitForTimeout(50);
  return (await b.page.locator('#tooltip').textContent()) ?? '';
}

/** A 40 µs window around event i. */
async function focus(b: BrowserSession, index: number): Promise<void> {
  await b.page.evaluate((i) => { const v = window.tracemarkView; v.setView(v.eventTime(i) - 20_000, v.eventTime(i) + 20_000); }, index);
  await b.page.waitForTimeout(100);
}

const skip = haveChromium ? false : 'no /usr/bin/chromium';

test('the page is self-contained: one file, no external reference', () => {
  const html = readFileSync(page, 'utf8');
  assert.ok(!/\b(src|href)=["']?(https?:)?\/\//i.test(html), 'no external src/href');
  assert.match(html, /<script id="tm-core" type="application\/octet-stream" data-encoding="deflate-raw">[A-Za-z0-9+/=]+<\/script>/, 'core data, deflate-compressed, as base64');
  assert.match(html, /<script id="tm-fields" type="application\/octet-stream" data-encoding="deflate-raw">[A-Za-z0-9+/=]*<\/script><\/body>/, 'field columns last');
});

test('loads from file:// with no console error; tracks, markers and a known event with its formatted fields', { skip, timeout: 120_000 }, async () => {
  const b = await load(page);
  assert.deepEqual(b.errors, []);
  // The first frame came before the field columns were loaded, both marked.
  const marks = await b.page.evaluate(() => {
    const v = (window as unknown as { tracemarkView: { firstFrameMs: number; readyAtMs: number } }).tracemarkView;
    return { first: v.firstFrameMs, ready: v.readyAtMs, flag: (document as unknown as { body: { dataset: Record<string, string> } }).body.dataset.firstFrame };
  });
  assert.equal(marks.flag, 'true');
  assert.ok(marks.first > 0 && marks.first <= marks.ready, JSON.stringify(marks));
  const rows = await b.page.locator('#markers-body tr').evaluateAll((trs) => trs.map((tr) => [(tr as unknown as { dataset: { marker: string } }).dataset.marker, tr.children[2].textContent]));
  assert.deepEqual(new Map(rows as [string, string][]), new Map([['view:rx', '200'], ['view:tick', '200'], ['vreq:begin', '4'], ['vreq:end', '4']]));
  assert.match((await b.page.locator('#summary').textContent()) ?? '', /408 events, 4 markers, 1 tracks/);
  const events = [...readTraceSync(dir)].filter((e) => e.name === 'view:rx');
  const index = await b.page.evaluate(() => window.tracemarkView.find('view:rx', 10));
  const off = registerBlobDecoder('view:rx', 'payload', (bytes) => `hi#${bytes[2]}`);
  const expected = formatEvent(events[10]);
  off();
  assert.match(expected, /payload=hi#10$/);
  // Zoom in around the event so that it has its own pixels, then hover it.
  await focus(b, index);
  const text = await hover(b, index);
  assert.equal(text, expected);
  if (shots !== undefined) await b.page.screenshot({ path: join(shots, 'view.png') });
  // Something is drawn where the event is: the canvas pixel is not background.
  const painted = await b.page.evaluate((i) => {
    const v = window.tracemarkView;
    const p = v.eventPoint(i);
    const c = (document as unknown as { getElementById(id: string): { getContext(k: string): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } } }).getElementById('timeline');
    const dpr = (globalThis as unknown as { devicePixelRatio: number }).devicePixelRatio || 1;
    const d = c.getContext('2d').getImageData(Math.round(p.x * dpr), Math.round((p.y + 6) * dpr), 1, 1).data;
    return [d[0], d[1], d[2]];
  }, index);
  assert.ok(painted[0] < 200 || painted[1] < 200 || painted[2] < 200, `a coloured pixel at the event, got ${painted.join(',')}`);
  assert.deepEqual(b.errors, []);
});

test('wheel and drag-select zoom narrow the visible range', { skip, timeout: 60_000 }, async () => {
  const b = await load(page);
  const box = (await b.page.locator('#timeline').boundingBox())!;
  const range = async (): Promise<number> => b.page.evaluate(() => window.tracemarkView.viewEnd - window.tracemarkView.viewStart);
  const full = await range();
  // Zoom around a known event (the wheel keeps the time under the cursor in place).
  const index = await b.page.evaluate(() => window.tracemarkView.find('view:rx', 100));
  const at = await b.page.evaluate((i) => window.tracemarkView.eventPoint(i), index);
  await b.page.mouse.move(box.x + at.x, box.y + 40);
  await b.page.mouse.wheel(0, -400);
  // The wheel event is handled asynchronously: wait for it (and for it to settle) before reading.
  await b.page.waitForFunction((f) => window.tracemarkView.viewEnd - window.tracemarkView.viewStart < f * 0.8, full, { timeout: 10_000 }).catch(() => undefined);
  await b.page.waitForTimeout(200);
  const wheeled = await range();
  assert.ok(wheeled < full * 0.8, `wheel zoomed in: ${wheeled} < ${full}`);
  const before = await b.page.evaluate(() => [window.tracemarkView.viewStart, window.tracemarkView.viewEnd]);
  const p = await b.page.evaluate((i) => window.tracemarkView.eventPoint(i), index);
  // 80 px around the event, inside the plot (it may sit near an edge).
  const x1 = Math.min(box.width - 4, Math.max(p.x + 40, 284));
  const x0 = x1 - 80;
  await b.page.mouse.move(box.x + x0, box.y + 40);
  await b.page.mouse.down();
  await b.page.mouse.move(box.x + x1, box.y + 40, { steps: 5 });
  await b.page.mouse.up();
  await b.page.waitForFunction((w) => window.tracemarkView.viewEnd - window.tracemarkView.viewStart < w * 0.5, wheeled, { timeout: 10_000 }).catch(() => undefined);
  const [s, e] = await b.page.evaluate(() => [window.tracemarkView.viewStart, window.tracemarkView.viewEnd]);
  const span = before[1] - before[0];
  const timeAt = (x: number): number => before[0] + ((x - 200) / (box.width - 200)) * span;
  assert.ok(Math.abs(s - timeAt(x0)) < span * 0.01, 'the selection starts where the drag started');
  assert.ok(Math.abs(e - timeAt(x1)) < span * 0.01, `and ends where it ended: ${e} vs ${timeAt(x1)}, start ${s} vs ${timeAt(x0)}, x ${x0}..${x1} of ${box.width}, before ${before.join('..')}`);
  const shown = Number(await b.page.locator('#timeline').getAttribute('data-shown-events'));
  assert.ok(shown >= 1 && shown < 408, `the event and fewer others in view: ${shown}`);
  assert.deepEqual(b.errors, []);
});

test('the marker table filters the timeline; search finds field values', { skip, timeout: 60_000 }, async () => {
  const b = await load(page);
  const shown = async (): Promise<number> => Number(await b.page.locator('#timeline').getAttribute('data-shown-events'));
  assert.equal(await shown(), 408);
  await b.page.locator('#markers-body tr[data-marker="view:tick"] input').uncheck();
  await b.page.waitForTimeout(100);
  assert.equal(await shown(), 208);
  const tick = await b.page.evaluate(() => window.tracemarkView.find('view:tick', 3));
  const rx = await b.page.evaluate(() => window.tracemarkView.find('view:rx', 3));
  // Zoom close to the two events so that they are pixels apart, then hover each.
  await focus(b, rx);
  assert.match(await hover(b, rx), /view:rx: len=1003/);
  const hidden = await hover(b, tick);
  assert.ok(!hidden.includes('view:tick'), `a hidden marker shows no details: ${hidden}`);
  // Clicking a name shows that marker only (over the whole trace again).
  await b.page.locator('#reset').click();
  await b.page.locator('#markers-body tr[data-marker="vreq:begin"] td:nth-child(2)').click();
  await b.page.waitForTimeout(100);
  assert.equal(await shown(), 4);
  await b.page.locator('#all').click();
  await b.page.waitForTimeout(100);
  assert.equal(await shown(), 408);
  await b.page.locator('#search').fill('udp');
  await b.page.locator('#search').press('Enter');
  assert.equal(await b.page.locator('#results').getAttribute('data-count'), '50');
  await b.page.locator('#search').fill('1003');
  await b.page.locator('#search').press('Enter');
  assert.equal(await b.page.locator('#results').getAttribute('data-count'), '1');
  await b.page.locator('#results .hit').first().click();
  assert.match((await b.page.locator('#details').textContent()) ?? '', /view:rx: len=1003 proto="tcp"/);
  assert.deepEqual(b.errors, []);
});

test('a trace with losses shows them on their track and in the summary', { skip, timeout: 60_000 }, async () => {
  const b = await load(lossyPage);
  assert.deepEqual(b.errors, []);
  assert.match((await b.page.locator('#summary').textContent()) ?? '', / lost$/);
  const red = await b.page.evaluate(() => {
    const el = (document as unknown as { getElementById(id: string): { width: number; height: number; getContext(k: string): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } } }).getElementById('timeline');
    const d = el.getContext('2d').getImageData(0, 0, el.width, el.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 150 && d[i + 1] < 60 && d[i + 2] < 60) n++;
    return n;
  });
  assert.ok(red > 0, 'red lost-event bands are drawn');
  if (shots !== undefined) await b.page.screenshot({ path: join(shots, 'lossy.png') });
});

test('--serve: the page on 127.0.0.1 at the printed URL', { skip, timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, [CLI, 'view', dir, '--serve'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m !== null) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      setTimeout(() => reject(new Error(`no URL: ${out}`)), 30_000).unref();
    });
    const b = browser!;
    b.errors.length = 0;
    await b.page.goto(url);
    await b.page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    assert.deepEqual(b.errors, []);
    assert.equal(await b.page.locator('#markers-body tr').count(), 4);
  } finally {
    child.kill('SIGTERM');
  }
});

test('-o keeps an existing page unless --force', () => {
  const existing = join(work.path, 'existing.html');
  writeFileSync(existing, 'keep');
  const run = tracemark(['view', dir, '-o', existing]);
  assert.equal(run.status, 2);
  assert.equal(errorCodeOf(run.stderr), 'ERR_USAGE');
  assert.equal(readFileSync(existing, 'utf8'), 'keep');
  assert.equal(tracemark(['view', dir, '-o', existing, '--force']).status, 0);
  assert.ok(readFileSync(existing, 'utf8').startsWith('<!doctype html>'));
});

test('past --max-events the page keeps a sample, says so, and keeps exact counts', { timeout: 60_000 }, async () => {
  const sampled = join(work.path, 'sampled.html');
  const run = tracemark(['view', manyDir, '-o', sampled, '--max-events', '1000']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /timeline sampled 1 in \d+/);
  const html = readFileSync(sampled, 'utf8');
  const meta = JSON.parse(/<script id="tm-meta" type="application\/json">(.*?)<\/script>/s.exec(html)![1]) as {
    totalEvents: number; keptEvents: number; sampleEvery: number; markers: { name: string; count: number }[];
  };
  const total = [...readTraceSync(manyDir)].length;
  assert.equal(total, 5000);
  assert.equal(meta.totalEvents, total);
  assert.equal(meta.markers[0].count, total, 'the marker table counts every event');
  assert.ok(meta.sampleEvery > 1 && meta.keptEvents <= 1000 && meta.keptEvents >= Math.floor(total / meta.sampleEvery) - 1);
  if (browser === undefined) return;
  const b = await load(sampled);
  assert.deepEqual(b.errors, []);
  assert.match((await b.page.locator('#notice').textContent()) ?? '', new RegExp(`^Sampled: the timeline shows ${meta.keptEvents.toLocaleString('en')} of ${total.toLocaleString('en')} events \\(1 in ${meta.sampleEvery}\\)`));
});
