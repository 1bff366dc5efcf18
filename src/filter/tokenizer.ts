/**
 * Filter tokenizer. Lazy (one token of lookahead) so that the first error by position is the
 * one reported: `) "unterminated` complains about `)`, not about the string further on.
 * Offsets are 0-based indexes into the JS string (UTF-16 code units).
 */
import { TracemarkError } from '../errors/index.js';
import { CONTEXT_NAMES, type ContextName } from './ast.js';

export type Punct = '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||' | '!' | '(' | ')' | '-' | '+';

interface TokenBase {
  /** 0-based offset of the token's first character. */
  readonly offset: number;
  /** The token's source text. */
  readonly text: string;
}

export type Token =
  | (TokenBase & { readonly type: 'number'; readonly value: number | bigint })
  | (TokenBase & { readonly type: 'string'; readonly segments: readonly string[] })
  | (TokenBase & { readonly type: 'ident' })
  | (TokenBase & { readonly type: 'context'; readonly name: ContextName })
  | (TokenBase & { readonly type: 'punct'; readonly text: Punct })
  | (TokenBase & { readonly type: 'eof' });

export function filterError(message: string, offset: number, text: string): TracemarkError {
  return new TracemarkError('ERR_FILTER', message, { offset, text });
}

/** Shows a token in a message without flooding it with a 4 KiB string literal. */
export function quoteToken(text: string): string {
  return JSON.stringify(text.length > 40 ? text.slice(0, 37) + '...' : text);
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The documented representation: an integer is a `number` iff its magnitude is at most 2^53-1. */
export function integerValue(value: bigint): number | bigint {
  return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function isIdentStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}
function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

const HINTS: Readonly<Record<string, string>> = {
  '=': ' (did you mean "=="?)',
  '&': ' (did you mean "&&"?)',
  '|': ' (did you mean "||"?)',
};

/** `\*` is a literal star; the others are the usual C escapes. */
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\', '"': '"', "'": "'", '*': '*', n: '\n', t: '\t', r: '\r', '0': '\0',
};

export class Tokenizer {
  private pos = 0;
  private peeked: Token | null = null;

  constructor(private readonly src: string) {}

  peek(): Token {
    if (this.peeked === null) this.peeked = this.scan();
    return this.peeked;
  }

  next(): Token {
    const token = this.peek();
    this.peeked = null;
    return token;
  }

  private scan(): Token {
    const s = this.src;
    let p = this.pos;
    while (p < s.length && (s[p] === ' ' || s[p] === '\t' || s[p] === '\n' || s[p] === '\r')) p++;
    this.pos = p;
    if (p >= s.length) return { type: 'eof', offset: p, text: '' };
    const c = s.charCodeAt(p);
    const two = s.slice(p, p + 2);
    if (two === '==' || two === '!=' || two === '<=' || two === '>=' || two === '&&' || two === '||') {
      return this.punct(two, p);
    }
    const ch = s[p];
    if (ch === '<' || ch === '>' || ch === '!' || ch === '(' || ch === ')' || ch === '-' || ch === '+') {
      return this.punct(ch, p);
    }
    if (ch === '"' || ch === "'") return this.scanString(p);
    if (isDigit(c) || (ch === '.' && isDigit(s.charCodeAt(p + 1)))) return this.scanNumber(p);
    if (isIdentStart(c)) {
      let end = p + 1;
      while (end < s.length && isIdentPart(s.charCodeAt(end))) end++;
      this.pos = end;
      return { type: 'ident', offset: p, text: s.slice(p, end) };
    }
    if (ch === '$') return this.scanContext(p);
    // codePointAt so that an astral character is reported whole, not as half a surrogate pair.
    const bad = String.fromCodePoint(s.codePointAt(p) ?? c);
    throw filterError(`unexpected character ${JSON.stringify(bad)} at offset ${p}${HINTS[bad] ?? ''}`, p, bad);
  }

  private punct(text: string, offset: number): Token {
    this.pos = offset + text.length;
    return { type: 'punct', offset, text: text as Punct };
  }

  private scanContext(start: number): Token {
    const s = this.src;
    let end = start + 1;
    while (end < s.length && (isIdentPart(s.charCodeAt(end)) || s[end] === '.')) end++;
    const text = s.slice(start, end);
    const known = CONTEXT_NAMES.map((n) => `$ctx.${n}`).join(', ');
    if (!text.startsWith('$ctx.')) {
      throw filterError(`invalid context field ${quoteToken(text)} at offset ${start}: context fields are ${known}`, start, text);
    }
    const name = text.slice(5);
    if (!(CONTEXT_NAMES as readonly string[]).includes(name)) {
      throw filterError(`unknown context field ${quoteToken(text)} at offset ${start}; known: ${known}`, start, text);
    }
    this.pos = end;
    return { type: 'context', offset: start, text, name: name as ContextName };
  }

  private scanNumber(start: number): Token {
    const s = this.src;
    let p = start;
    let value: number | bigint;
    if (s[p] === '0' && (s[p + 1] === 'x' || s[p + 1] === 'X')) {
      p += 2;
      while (p < s.length && (isIdentPart(s.charCodeAt(p)) || s[p] === '.')) p++;
      const text = s.slice(start, p);
      if (p === start + 2 || !/^0[xX][0-9a-fA-F]+$/.test(text)) {
        throw filterError(`invalid numeric literal ${quoteToken(text)} at offset ${start}`, start, text);
      }
      value = integerValue(BigInt(text));
    } else {
      let isFloat = false;
      while (isDigit(s.charCodeAt(p))) p++;
      if (s[p] === '.') {
        isFloat = true;
        p++;
        while (isDigit(s.charCodeAt(p))) p++;
      }
      if (s[p] === 'e' || s[p] === 'E') {
        const sign = s[p + 1] === '+' || s[p + 1] === '-' ? 1 : 0;
        if (isDigit(s.charCodeAt(p + 1 + sign))) {
          isFloat = true;
          p += 1 + sign;
          while (isDigit(s.charCodeAt(p))) p++;
        }
      }
      // `12ab`, `1.2.3`, `1e`: the literal runs into something that cannot follow it.
      let end = p;
      while (end < s.length && (isIdentPart(s.charCodeAt(end)) || s[end] === '.')) end++;
      if (end > p) {
        const text = s.slice(start, end);
        throw filterError(`invalid numeric literal ${quoteToken(text)} at offset ${start}`, start, text);
      }
      const text = s.slice(start, p);
      // C (and so LTTng) reads `017` as octal 15; refusing it is safer than guessing.
      if (/^0[0-9]/.test(text)) {
        throw filterError(`invalid numeric literal ${quoteToken(text)} at offset ${start}: leading zeros are not allowed (octal is not supported; use 0x for hex)`, start, text);
      }
      if (isFloat) {
        value = Number(text);
        if (!Number.isFinite(value)) {
          throw filterError(`numeric literal ${quoteToken(text)} at offset ${start} is out of range`, start, text);
        }
      } else {
        value = integerValue(BigInt(text));
      }
    }
    this.pos = p;
    return { type: 'number', offset: start, text: s.slice(start, p), value };
  }

  /** Decodes a quoted string, splitting it at unescaped `*` (glob wildcards). */
  private scanString(start: number): Token {
    const s = this.src;
    const quote = s[start];
    const segments: string[] = [];
    let current = '';
    let p = start + 1;
    for (;;) {
      if (p >= s.length) {
        throw filterError(`unterminated string literal starting at offset ${start}`, start, s.slice(start));
      }
      const ch = s[p];
      if (ch === quote) break;
      // A backslash as the last character escapes nothing: the string is unterminated.
      if (ch === '\\' && p + 1 >= s.length) {
        throw filterError(`unterminated string literal starting at offset ${start}`, start, s.slice(start));
      }
      if (ch === '*') {
        segments.push(current);
        current = '';
        p++;
      } else if (ch === '\\') {
        const [decoded, next] = this.escape(p);
        current += decoded;
        p = next;
      } else {
        current += ch;
        p++;
      }
    }
    segments.push(current);
    // `a**b` matches what `a*b` matches: drop the empty middle segments so both give one AST.
    const collapsed = segments.filter((seg, i) => seg !== '' || i === 0 || i === segments.length - 1);
    this.pos = p + 1;
    return { type: 'string', offset: start, text: s.slice(start, p + 1), segments: collapsed };
  }

  /** Decodes the escape sequence whose backslash is at `p`; returns the text and the next index. */
  private escape(p: number): [string, number] {
    const s = this.src;
    const e = s[p + 1];
    if (e !== undefined && Object.prototype.hasOwnProperty.call(SIMPLE_ESCAPES, e)) return [SIMPLE_ESCAPES[e], p + 2];
    const bad = (len: number): never => {
      const text = s.slice(p, p + len);
      throw filterError(`invalid escape ${quoteToken(text)} at offset ${p} in string literal`, p, text);
    };
    if (e === 'x') {
      if (!isHex(s.charCodeAt(p + 2)) || !isHex(s.charCodeAt(p + 3))) bad(4);
      return [String.fromCharCode(parseInt(s.slice(p + 2, p + 4), 16)), p + 4];
    }
    if (e === 'u' && s[p + 2] === '{') {
      let end = p + 3;
      while (end < s.length && isHex(s.charCodeAt(end)) && end - p < 12) end++;
      if (s[end] !== '}' || end === p + 3) bad(end - p + 1);
      const code = parseInt(s.slice(p + 3, end), 16);
      if (code > 0x10ffff) bad(end - p + 1);
      return [String.fromCodePoint(code), end + 1];
    }
    if (e === 'u') {
      for (let k = 2; k < 6; k++) if (!isHex(s.charCodeAt(p + k))) bad(6);
      return [String.fromCharCode(parseInt(s.slice(p + 2, p + 6), 16)), p + 6];
    }
    // scanString never calls us with the backslash last, so `e` is a real character here.
    return bad(String.fromCodePoint(s.codePointAt(p + 1) ?? 0).length + 1);
  }
}
