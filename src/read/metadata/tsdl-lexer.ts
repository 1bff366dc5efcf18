/**
 * Tokenizer for the TSDL subset tracemark reads. It works on the decoded metadata text;
 * offsets are character indexes into that text (metadata.ts maps them back to file bytes).
 */

export type TokenKind = 'ident' | 'int' | 'string' | 'punct' | 'annotation' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** ident: the name; punct: the symbol; string: the decoded literal; annotation: the key. */
  readonly text: string;
  /** int: the literal's value. */
  readonly value?: bigint;
  /** annotation: the decoded JSON string of `/* tracemark.KEY = "..." *\/`. */
  readonly annotationValue?: string;
  readonly offset: number;
}

/**
 * A metadata problem found while lexing, parsing or resolving. `atEof` marks problems caused by
 * the text ending too early (a truncated file), which the reader can survive by dropping the
 * unfinished top-level declaration.
 */
export class MetadataError extends Error {
  constructor(
    readonly kind: 'corrupt' | 'unsupported',
    message: string,
    readonly offset: number,
    readonly atEof = false,
  ) {
    super(message);
    this.name = 'MetadataError';
  }
}

// Longest symbols first so that `:=` and `...` win over `:` and `.`.
const PUNCTUATION = [':=', '...', '->', '{', '}', '[', ']', '(', ')', '<', '>', ';', ',', ':', '=', '.', '+', '-', '*'];

const ANNOTATION = /^\s*tracemark\.([A-Za-z_][A-Za-z0-9_]*)\s*=\s*("(?:[^"\\]|\\.)*")\s*$/s;

const SINGLE_PUNCTUATION = new Map(PUNCTUATION.filter((p) => p.length === 1).map((p) => [p.charCodeAt(0), p]));

/** The punctuation at `i` (longest first), without a closure per character. */
function punctuationAt(text: string, i: number, code: number): string | undefined {
  if (code === 58 /* : */ && text.charCodeAt(i + 1) === 61 /* = */) return ':=';
  if (code === 46 /* . */ && text.startsWith('...', i)) return '...';
  if (code === 45 /* - */ && text.charCodeAt(i + 1) === 62 /* > */) return '->';
  return SINGLE_PUNCTUATION.get(code);
}

function isIdentStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

function isIdentPart(code: number): boolean {
  return isIdentStart(code) || (code >= 48 && code <= 57);
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', '"': '"', "'": "'", '?': '?',
};

export interface TokenizeResult {
  /** Always ends with an `eof` token. */
  readonly tokens: Token[];
  /** Set when the text ends inside a comment or a literal (a truncated file): where that starts. */
  readonly truncatedAt?: number;
}

export type LexWarn = (message: string, offset: number) => void;

/**
 * Throws MetadataError on text that no TSDL can contain; a cut-off tail is reported, not thrown.
 * A character literal (`'a'`) is read as a string, with a warning, as babeltrace2 does.
 */
export function tokenize(text: string, warn: LexWarn = () => {}): TokenizeResult {
  const tokens: Token[] = [];
  try {
    lexAll(text, tokens, warn);
  } catch (error) {
    if (!(error instanceof MetadataError) || !error.atEof) throw error;
    tokens.push({ kind: 'eof', text: '<end of metadata>', offset: text.length });
    return { tokens, truncatedAt: error.offset };
  }
  tokens.push({ kind: 'eof', text: '<end of metadata>', offset: text.length });
  return { tokens };
}

function lexAll(text: string, tokens: Token[], warn: LexWarn): void {
  let i = 0;
  const n = text.length;
  while (i < n) {
    const code = text.charCodeAt(i);
    // Whitespace.
    if (code === 32 || code === 9 || code === 10 || code === 13 || code === 11 || code === 12) {
      i++;
      continue;
    }
    const start = i;
    if (code === 47 /* / */ && text.charCodeAt(i + 1) === 42 /* * */) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new MetadataError('corrupt', 'unterminated comment', start, true);
      const body = text.slice(i + 2, end);
      const m = ANNOTATION.exec(body);
      if (m !== null) {
        let value: unknown;
        try { value = JSON.parse(m[2]); } catch { value = undefined; }
        // A malformed annotation is only a comment to every other reader: ignore it too.
        if (typeof value === 'string') tokens.push({ kind: 'annotation', text: m[1], annotationValue: value, offset: start });
      }
      i = end + 2;
      continue;
    }
    if (code === 47 && text.charCodeAt(i + 1) === 47) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (isIdentStart(code)) {
      i++;
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      tokens.push({ kind: 'ident', text: text.slice(start, i), offset: start });
      continue;
    }
    if (code >= 48 && code <= 57) {
      i = lexInteger(text, i, tokens);
      continue;
    }
    if (code === 34 /* " */) {
      i = lexString(text, i, tokens, '"');
      continue;
    }
    if (code === 39 /* ' */) {
      warn('character literal read as a string', start);
      i = lexString(text, i, tokens, "'");
      continue;
    }
    const punct = punctuationAt(text, i, code);
    if (punct === undefined) {
      throw new MetadataError('corrupt', `unexpected character ${JSON.stringify(text[i])}`, start);
    }
    tokens.push({ kind: 'punct', text: punct, offset: start });
    i += punct.length;
  }
}

function lexInteger(text: string, start: number, tokens: Token[]): number {
  let i = start;
  let digits: string;
  let radix: 'hex' | 'oct' | 'dec';
  if (text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
    i += 2;
    const from = i;
    while (i < text.length && /[0-9a-fA-F]/.test(text[i])) i++;
    digits = text.slice(from, i);
    radix = 'hex';
    if (digits === '') {
      if (i >= text.length) throw new MetadataError('corrupt', 'truncated hexadecimal literal', start, true);
      throw new MetadataError('corrupt', 'hexadecimal literal without digits', start);
    }
  } else {
    const from = i;
    while (i < text.length && /[0-9]/.test(text[i])) i++;
    digits = text.slice(from, i);
    radix = digits.length > 1 && digits[0] === '0' ? 'oct' : 'dec';
    if (radix === 'oct' && /[89]/.test(digits)) throw new MetadataError('corrupt', `invalid octal literal ${digits}`, start);
  }
  // C integer suffixes (u, l, ul, ull...) carry no meaning here.
  while (i < text.length && /[uUlL]/.test(text[i])) i++;
  if (i < text.length && isIdentPart(text.charCodeAt(i))) {
    throw new MetadataError('corrupt', `invalid integer literal ${JSON.stringify(text.slice(start, i + 1))}`, start);
  }
  const value = radix === 'hex' ? BigInt(`0x${digits}`) : radix === 'oct' ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  tokens.push({ kind: 'int', text: text.slice(start, i), value, offset: start });
  return i;
}

function lexString(text: string, start: number, tokens: Token[], quote: '"' | "'"): number {
  let i = start + 1;
  let out = '';
  for (;;) {
    if (i >= text.length) throw new MetadataError('corrupt', 'unterminated string literal', start, true);
    const ch = text[i];
    if (ch === quote) break;
    if (ch === '\n') throw new MetadataError('corrupt', 'newline in string literal', start);
    if (ch !== '\\') {
      out += ch;
      i++;
      continue;
    }
    const esc = text[i + 1];
    if (esc === undefined) throw new MetadataError('corrupt', 'unterminated string literal', start, true);
    const simple = SIMPLE_ESCAPES[esc];
    if (simple !== undefined) {
      out += simple;
      i += 2;
    } else if (esc === 'x') {
      const m = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2, i + 4));
      if (m === null) throw new MetadataError('corrupt', 'invalid \\x escape in string literal', i);
      out += String.fromCharCode(parseInt(m[0], 16));
      i += 2 + m[0].length;
    } else if (esc >= '0' && esc <= '7') {
      const m = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4)) as RegExpExecArray;
      out += String.fromCharCode(parseInt(m[0], 8) & 0xff);
      i += 1 + m[0].length;
    } else {
      throw new MetadataError('corrupt', `invalid escape \\${esc} in string literal`, i);
    }
  }
  tokens.push({ kind: 'string', text: out, offset: start });
  return i + 1;
}
