/**
 * The page's data loading (page code: see main.ts for the rules). The binary model is embedded
 * in two parts (page.ts), each as base64 of its deflate-raw compression: decoded with the browser's own base64 decoder and
 * DecompressionStream (native code, no JS loop over the bytes), then typed-array views are made
 * on the buffer without copying. Delta-coded times are added up into one Float64Array.
 */
/* eslint-disable */
declare const document: any;
declare const window: any;

/** Decodes the data element of one part ('core' or 'fields') into `sec` (section name → typed array). */
export async function viewerData(meta: any, part: string, sec: any): Promise<void> {
  const el = document.getElementById('tm-' + part);
  const text: string = el.textContent;
  el.textContent = '';
  const U8: any = Uint8Array;
  let bytes: Uint8Array;
  if (typeof U8.fromBase64 === 'function') bytes = U8.fromBase64(text);
  else {
    const bin = window.atob(text);
    bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  }
  if (el.dataset.encoding === 'deflate-raw') {
    const stream = new window.Blob([bytes]).stream().pipeThrough(new window.DecompressionStream('deflate-raw'));
    bytes = new Uint8Array(await new window.Response(stream).arrayBuffer());
  }
  const CTORS: any = { f64: Float64Array, u32: Uint32Array, u16: Uint16Array, u8: Uint8Array, i32: Int32Array, i16: Int16Array, i8: Int8Array };
  for (const s of meta.sections) {
    if (s.part !== part) continue;
    const view = new CTORS[s.type](bytes.buffer, bytes.byteOffset + s.offset, s.length);
    if (s.deltaFrom === undefined) { sec[s.name] = view; continue; }
    const out = new Float64Array(s.length);
    let v = s.deltaFrom;
    for (let i = 0; i < s.length; i++) { v += view[i]; out[i] = v; }
    sec[s.name] = out;
  }
}
