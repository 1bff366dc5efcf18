/**
 * Token cursor of the TSDL parser: lookahead, expectations and error reporting. A problem met
 * at the end of the tokens is flagged `atEof` (a truncated metadata file).
 */
import { MetadataError, type Token } from './tsdl-lexer.js';

export class TokenStream {
  protected pos = 0;

  constructor(private readonly tokens: Token[]) {}

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)];
  }

  protected next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.pos++;
    return token;
  }

  protected fail(token: Token, message: string): never {
    throw new MetadataError('corrupt', message, token.offset, token.kind === 'eof');
  }

  protected isPunct(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'punct' && t.text === text;
  }

  protected isIdent(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'ident' && t.text === text;
  }

  protected expectPunct(text: string): Token {
    const t = this.next();
    if (t.kind !== 'punct' || t.text !== text) this.fail(t, `expected "${text}", found ${describe(t)}`);
    return t;
  }

  protected expectIdent(): Token {
    const t = this.next();
    if (t.kind !== 'ident') this.fail(t, `expected an identifier, found ${describe(t)}`);
    return t;
  }

  protected skipAnnotations(): void {
    while (this.peek().kind === 'annotation') this.pos++;
  }
}

export function checkAlign(value: bigint, at: Token): number {
  if (value < 1n || value > 1n << 30n || (value & (value - 1n)) !== 0n) {
    throw new MetadataError('corrupt', `alignment ${value} is not a power of two`, at.offset);
  }
  return Number(value);
}

export function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'the end of the metadata';
    case 'string':
      return `string ${JSON.stringify(t.text)}`;
    case 'annotation':
      return `comment tracemark.${t.text}`;
    default:
      return JSON.stringify(t.text);
  }
}
