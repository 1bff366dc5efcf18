/**
 * Recursive-descent parser for the TSDL subset of docs/reading.md. It resolves type aliases and
 * named struct/variant/enum types while parsing, so its output holds only resolved CtfType nodes
 * plus the raw attributes of the trace/env/clock/stream/event blocks (metadata.ts interprets them).
 * Types are parsed by TypeParser (tsdl-type-parser.ts); this file adds the top level and the blocks.
 */
import { MetadataError, tokenize, type Token } from './tsdl-lexer.js';
import { describe } from './tsdl-tokens.js';
import type { AttrValue, CtfType } from './tsdl-types.js';
import { TypeParser } from './tsdl-type-parser.js';

export type { AttrValue } from './tsdl-types.js';

export interface Block {
  readonly kind: 'trace' | 'env' | 'clock' | 'stream' | 'event';
  readonly offset: number;
  /** `name = value;` entries (dotted names kept as written, e.g. `model.emf.uri`). */
  readonly attrs: Map<string, AttrValue>;
  /** `name := type;` entries (`packet.header`, `event.header`, `fields`...). */
  readonly types: Map<string, { readonly type: CtfType; readonly offset: number }>;
  /** `/* tracemark.KEY = "json string" *\/` comments inside the block. */
  readonly annotations: Map<string, string>;
}

/** Something babeltrace2 only warns about (an unknown attribute, a character literal): read on. */
export interface MetadataWarning {
  readonly message: string;
  /** Character offset in the metadata text. */
  readonly offset: number;
}

export interface ParsedMetadata {
  readonly blocks: Block[];
  readonly warnings: readonly MetadataWarning[];
  /** Offset of the unfinished top-level declaration when the text is cut short. */
  readonly truncatedAt?: number;
}

const BLOCK_KINDS = new Set(['trace', 'env', 'clock', 'stream', 'event']);

export function parseTsdl(text: string): ParsedMetadata {
  const warnings: MetadataWarning[] = [];
  const { tokens, truncatedAt: lexTruncatedAt } = tokenize(text, (message, offset) => warnings.push({ message, offset }));
  const parser = new Parser(tokens, {
    nativeBigEndian: traceIsBigEndian(tokens),
    warn: (message, offset) => warnings.push({ message, offset }),
  });
  const blocks: Block[] = [];
  while (parser.peek().kind !== 'eof') {
    const start = parser.peek().offset;
    try {
      parser.topLevel(blocks);
    } catch (error) {
      // Text that stops inside a declaration is a cut-off file: keep what came before it.
      if (error instanceof MetadataError && error.atEof) return { blocks, warnings, truncatedAt: start };
      throw error;
    }
  }
  return lexTruncatedAt === undefined ? { blocks, warnings } : { blocks, warnings, truncatedAt: lexTruncatedAt };
}

/**
 * `native` byte order means the trace's, which the trace block declares, usually after the
 * typealiases that use it: look it up first (as babeltrace2 does), in the trace block's own level.
 */
function traceIsBigEndian(tokens: readonly Token[]): boolean {
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (tokens[i].kind !== 'ident' || tokens[i].text !== 'trace' || tokens[i + 1].text !== '{') continue;
    let depth = 0;
    for (let j = i + 1; j + 2 < tokens.length; j++) {
      const t = tokens[j];
      if (t.kind === 'punct' && t.text === '{') depth++;
      else if (t.kind === 'punct' && t.text === '}') {
        if (--depth === 0) break;
      } else if (depth === 1 && t.kind === 'ident' && t.text === 'byte_order' && tokens[j + 1].text === '=') {
        const v = tokens[j + 2].text;
        return v === 'be' || v === 'network' || v === 'big';
      }
    }
    return false;
  }
  return false;
}

class Parser extends TypeParser {
  topLevel(blocks: Block[]): void {
    const t = this.peek();
    if (t.kind === 'annotation') {
      this.pos++;
      return;
    }
    if (t.kind === 'punct' && t.text === ';') {
      this.pos++;
      return;
    }
    if (t.kind === 'ident' && BLOCK_KINDS.has(t.text) && this.isPunct('{', 1)) {
      this.next();
      blocks.push(this.block(t.text as Block['kind'], t.offset));
      return;
    }
    if (t.kind === 'ident' && t.text === 'callsite' && this.isPunct('{', 1)) {
      // Callsite blocks only carry debugging locations: parse and drop them.
      this.next();
      this.block('env', t.offset);
      return;
    }
    this.declaration();
  }

  /** typealias / typedef / named type declaration / (inside structs) field declarations are separate. */
  protected declaration(): void {
    const t = this.peek();
    if (t.kind === 'ident' && t.text === 'typealias') {
      this.next();
      const type = this.typeSpec(false);
      this.expectPunct(':=');
      const words = this.aliasWords(false);
      if (words.length === 0) this.fail(this.peek(), `expected an alias name, found ${describe(this.peek())}`);
      this.expectPunct(';');
      this.define(words.join(' '), type, t);
      return;
    }
    if (t.kind === 'ident' && t.text === 'typedef') {
      this.next();
      const base = this.typeSpec(true);
      do {
        const { name, type } = this.declarator(base);
        this.define(name, type, t);
      } while (this.isPunct(',') && this.next());
      this.expectPunct(';');
      return;
    }
    if (t.kind === 'ident' && (t.text === 'struct' || t.text === 'variant' || t.text === 'enum')) {
      this.typeSpec(false); // registers the named type as a side effect
      this.expectPunct(';');
      return;
    }
    this.fail(t, `unexpected ${describe(t)} at top level`);
  }

  private block(kind: Block['kind'], offset: number): Block {
    const block: Block = { kind, offset, attrs: new Map(), types: new Map(), annotations: new Map() };
    this.expectPunct('{');
    this.scopes.push(new Map());
    while (!this.isPunct('}')) {
      const t = this.peek();
      if (t.kind === 'annotation') {
        this.next();
        block.annotations.set(t.text, t.annotationValue as string);
        continue;
      }
      if (t.kind === 'punct' && t.text === ';') {
        this.next();
        continue;
      }
      if (t.kind === 'ident' && (t.text === 'typealias' || t.text === 'typedef')) {
        this.declaration();
        continue;
      }
      const name = this.path();
      const op = this.next();
      if (op.kind === 'punct' && op.text === '=') {
        block.attrs.set(name, this.value());
      } else if (op.kind === 'punct' && op.text === ':=') {
        const typeOffset = this.peek().offset;
        block.types.set(name, { type: this.typeSpec(false), offset: typeOffset });
      } else {
        this.fail(op, `expected "=" or ":=" after ${name}, found ${describe(op)}`);
      }
      this.expectPunct(';');
    }
    this.scopes.pop();
    this.expectPunct('}');
    this.expectPunct(';');
    return block;
  }

}
