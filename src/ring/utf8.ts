/**
 * UTF-8 for CTF strings, which are NUL-terminated: U+0000 and lone surrogates are written as
 * U+FFFD, so that no string can end early or be invalid.
 */
export function utf8Length(text: string, fromIndex = 0): number {
  let bytes = 0;
  const length = text.length;
  for (let i = fromIndex; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0) bytes += 3;
    else if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < length && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Writes `text` from `fromIndex` on (no terminator); returns the new offset. */
export function writeUtf8(bytes: Uint8Array, offsetBytes: number, text: string, fromIndex: number): number {
  let pos = offsetBytes;
  const length = text.length;
  for (let i = fromIndex; i < length; i++) {
    let code = text.charCodeAt(i);
    if (code > 0 && code < 0x80) {
      bytes[pos++] = code;
      continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = i + 1 < length ? text.charCodeAt(i + 1) : 0;
      if (code <= 0xdbff && isLowSurrogate(next)) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
        bytes[pos++] = 0xf0 | (code >> 18);
        bytes[pos++] = 0x80 | ((code >> 12) & 0x3f);
        bytes[pos++] = 0x80 | ((code >> 6) & 0x3f);
        bytes[pos++] = 0x80 | (code & 0x3f);
        continue;
      }
      code = 0xfffd;
    } else if (code === 0) {
      code = 0xfffd;
    }
    if (code < 0x800) {
      bytes[pos++] = 0xc0 | (code >> 6);
      bytes[pos++] = 0x80 | (code & 0x3f);
    } else {
      bytes[pos++] = 0xe0 | (code >> 12);
      bytes[pos++] = 0x80 | ((code >> 6) & 0x3f);
      bytes[pos++] = 0x80 | (code & 0x3f);
    }
  }
  return pos;
}
