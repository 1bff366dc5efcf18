/**
 * The self-contained HTML page of `tracemark view`: styles, the model's description as JSON, its
 * binary data deflate-compressed as base64 and the page code (client/) inline. The data is most
 * of the page and the browser's HTML parser walks all of it before the page code runs: the
 * compression (fast level, typically 2-3x on these columns) is what makes a big page load fast. No network, no external file:
 * it works from file:// and offline. Written in pieces, so that the base64 text of a big model
 * is never concatenated with the rest.
 */
import { deflateRawSync } from 'node:zlib';
import { viewerCanvas } from './client/canvas.js';
import { viewerData } from './client/data.js';
import { viewerFormat } from './client/format.js';
import { viewerMain } from './client/main.js';
import type { ViewMeta, ViewModel, ViewSection } from './model.js';

const STYLE = `
* { box-sizing: border-box; }
body { margin: 0; font: 13px system-ui, sans-serif; color: #222; background: #fff; display: flex; flex-direction: column; height: 100vh; }
header { display: flex; gap: 12px; align-items: center; padding: 6px 10px; border-bottom: 1px solid #ddd; background: #fbfbfb; }
header h1 { font-size: 15px; margin: 0; white-space: nowrap; }
#summary, .muted { color: #666; }
#search { margin-left: auto; width: 260px; padding: 3px 6px; }
#notice { display: none; padding: 6px 10px; background: #fff4d6; border-bottom: 1px solid #e8d9a8; }
main { display: flex; flex: 1; min-height: 0; }
#left { flex: 1; min-width: 0; display: flex; flex-direction: column; }
#histogram-wrap { border-bottom: 1px solid #ddd; }
#timeline-wrap { flex: 1; overflow-y: auto; overflow-x: hidden; }
canvas { display: block; }
#timeline { cursor: crosshair; }
aside { width: 420px; border-left: 1px solid #ddd; display: flex; flex-direction: column; min-height: 0; }
aside section { padding: 6px 8px; border-bottom: 1px solid #eee; overflow: auto; }
aside h2 { font-size: 12px; text-transform: uppercase; color: #555; margin: 2px 0 6px; }
#markers-section { max-height: 40%; }
table { border-collapse: collapse; width: 100%; }
td, th { padding: 2px 4px; text-align: left; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:hover { background: #eef3fb; }
tbody td:nth-child(2) { cursor: pointer; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-left: 4px; vertical-align: middle; }
#details { white-space: pre-wrap; font: 12px ui-monospace, monospace; min-height: 3em; }
#results { flex: 1; }
.hit { font: 11px ui-monospace, monospace; cursor: pointer; padding: 1px 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.hit:hover { background: #eef3fb; }
#tooltip { position: fixed; display: none; pointer-events: none; max-width: 400px; background: #222; color: #fff; padding: 4px 6px; font: 12px ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; border-radius: 3px; z-index: 10; }
#status { padding: 2px 10px; color: #666; border-top: 1px solid #eee; font-size: 11px; }
button { font-size: 12px; }
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

/** JSON that cannot end its <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const BASE64_CHUNK_BYTES = 3 * 1024 * 1024;

/** Writes the page through `write` (strings in order). */
export function writeViewPage(model: ViewModel, write: (chunk: string) => void): void {
  const title = escapeHtml(model.meta.title);
  write(`<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>tracemark: ${title}</title>`);
  write(`<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head><body>`);
  write(`<header><h1>tracemark · ${title}</h1><span id="summary"></span><button id="reset" title="whole trace (key 0)">Reset zoom</button><input id="search" type="search" placeholder="search marker name or field value" autocomplete="off"></header>`);
  write('<div id="notice"></div>');
  write('<main><div id="left"><div id="histogram-wrap"><canvas id="histogram"></canvas></div><div id="timeline-wrap"><canvas id="timeline"></canvas></div>');
  write('<div id="status"></div></div>');
  write('<aside><section id="markers-section"><h2>Markers <button id="all">all</button> <button id="none">none</button></h2><table><thead><tr><th></th><th>marker</th><th class="num">count</th><th class="num">rate</th><th class="num">first</th><th class="num">last</th></tr></thead><tbody id="markers-body"></tbody></table></section>');
  write('<section><h2>Details</h2><div id="details" class="muted">Hover or click an event or span. Wheel: zoom; drag: select a range; shift-drag or right-drag: pan; arrows: pan; 0: whole trace.</div></section>');
  write('<section id="results"><h2>Search</h2></section></aside></main><div id="tooltip"></div>');
  const { meta, core, fields } = splitParts(model);
  write(`<script id="tm-meta" type="application/json">${scriptJson(meta)}</script>`);
  writeData('core', core, write);
  const lib = `{ data: ${viewerData.toString()}, format: ${viewerFormat.toString()}, canvas: ${viewerCanvas.toString()} }`;
  // A page that cannot start says why where the user looks (and in the console).
  const fail = "(e) => { const n = document.getElementById('notice'); n.style.display = 'block'; n.textContent = 'The view could not start: ' + e; console.error(e); }";
  // The code runs before the parser reaches the field columns: the first frame needs only the core.
  write(`<script>"use strict";(${viewerMain.toString()})(${lib}).catch(${fail});</script>`);
  writeData('fields', fields, write);
  write('</body></html>\n');
}

function writeData(part: string, data: Uint8Array, write: (chunk: string) => void): void {
  write(`<script id="tm-${part}" type="application/octet-stream" data-encoding="deflate-raw">`);
  // Level 1: several times faster to write than the default level, for a few % more bytes.
  const packed = deflateRawSync(data, { level: 1 });
  for (let at = 0; at < packed.length; at += BASE64_CHUNK_BYTES) {
    write(packed.subarray(at, Math.min(packed.length, at + BASE64_CHUNK_BYTES)).toString('base64'));
  }
  write('</script>');
}

const ELEMENT_BYTES: Record<ViewSection['type'], number> = { f64: 8, u32: 4, u16: 2, u8: 1, i32: 4, i16: 2, i8: 1 };

/** The model's sections in two buffers: the marker field columns, and the rest (the core). */
function splitParts(model: ViewModel): { meta: ViewMeta & { sections: (ViewSection & { part: string })[] }; core: Uint8Array; fields: Uint8Array } {
  const fieldSections = new Set(model.meta.markers.flatMap((m) => m.fields.map((f) => f.section)));
  const size = { core: 0, fields: 0 };
  const sections = model.meta.sections.map((s) => {
    const part = fieldSections.has(s.name) ? 'fields' as const : 'core' as const;
    const offset = size[part];
    size[part] += Math.ceil((s.length * ELEMENT_BYTES[s.type]) / 8) * 8;
    return { ...s, part, offset, from: s.offset };
  });
  const buffers = { core: new Uint8Array(size.core), fields: new Uint8Array(size.fields) };
  for (const s of sections) buffers[s.part].set(model.data.subarray(s.from, s.from + s.length * ELEMENT_BYTES[s.type]), s.offset);
  return { meta: { ...model.meta, sections: sections.map(({ from, ...rest }) => { void from; return rest; }) }, core: buffers.core, fields: buffers.fields };
}
