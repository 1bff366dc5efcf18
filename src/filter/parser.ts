/**
 * Recursive-descent parser for filter expressions:
 *
 *   expr       := and ( "||" and )*
 *   and        := unary ( "&&" unary )*
 *   unary      := "!" ( "!" ... | "(" expr ")" ) | "(" expr ")" | comparison
 *   comparison := operand ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) operand
 *   operand    := field | $ctx.name | [ "-" | "+" ] number | string
 *
 * `!` binds tighter than comparisons, as in C, so `!a == 1` would mean `(!a) == 1`; operands are
 * not booleans here, so that form is refused instead of being silently read as `!(a == 1)`.
 *
 * The recursion depth is bounded by MAX_FILTER_DEPTH (each `(` and `!` is one level) and the
 * input by MAX_FILTER_LENGTH, so a hostile expression gets an ERR_FILTER, never a RangeError.
 */
import type { CompareNode, CompareOp, FilterExpression, FilterNode, FilterOperand, LogicalNode } from './ast.js';
import { filterError, integerValue, quoteToken, Tokenizer, type Token } from './tokenizer.js';

export const MAX_FILTER_LENGTH = 4096;
export const MAX_FILTER_DEPTH = 64;

const COMPARE_OPS: ReadonlySet<string> = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** Expressions made by parseFilter: compileFilter trusts only these (a hand-built AST could be anything). */
const parsed = new WeakSet<FilterExpression>();

export function isParsedFilter(value: unknown): value is FilterExpression {
  return typeof value === 'object' && value !== null && parsed.has(value as FilterExpression);
}

function unexpected(token: Token, expected: string): never {
  const what = token.type === 'eof' ? 'unexpected end of expression' : `unexpected token ${quoteToken(token.text)}`;
  throw filterError(`${what} at offset ${token.offset}, ${expected}`, token.offset, token.text);
}

function isPunct(token: Token, text: string): boolean {
  return token.type === 'punct' && token.text === text;
}

class Parser {
  private depth = 0;
  private readonly fieldNames: string[] = [];

  constructor(private readonly tokens: Tokenizer) {}

  parse(): { ast: FilterNode; fieldNames: string[] } {
    const ast = this.parseOr();
    const end = this.tokens.peek();
    if (end.type !== 'eof') unexpected(end, 'expected "&&", "||" or end of expression');
    return { ast, fieldNames: this.fieldNames };
  }

  private parseOr(): FilterNode {
    const operands = [this.parseAnd()];
    while (isPunct(this.tokens.peek(), '||')) {
      this.tokens.next();
      operands.push(this.parseAnd());
    }
    return logical('or', operands);
  }

  private parseAnd(): FilterNode {
    const operands = [this.parseUnary()];
    while (isPunct(this.tokens.peek(), '&&')) {
      this.tokens.next();
      operands.push(this.parseUnary());
    }
    return logical('and', operands);
  }

  private enter(token: Token): void {
    if (++this.depth > MAX_FILTER_DEPTH) {
      throw filterError(`expression nested too deeply at offset ${token.offset}: more than ${MAX_FILTER_DEPTH} levels of "(" and "!"`, token.offset, token.text);
    }
  }

  private parseUnary(): FilterNode {
    const token = this.tokens.peek();
    if (isPunct(token, '!')) {
      this.tokens.next();
      this.enter(token);
      const after = this.tokens.peek();
      if (!isPunct(after, '(') && !isPunct(after, '!')) {
        unexpected(after, 'expected "(" or "!" after "!" (write !(a == 1), not !a == 1)');
      }
      const operand = this.parseUnary();
      this.depth--;
      return Object.freeze({ kind: 'not', operand });
    }
    if (isPunct(token, '(')) {
      this.tokens.next();
      this.enter(token);
      const inner = this.parseOr();
      const close = this.tokens.peek();
      if (!isPunct(close, ')')) unexpected(close, 'expected "&&", "||" or ")"');
      this.tokens.next();
      this.depth--;
      return inner;
    }
    return this.parseComparison();
  }

  private parseComparison(): CompareNode {
    const leftToken = this.tokens.peek();
    const left = this.parseOperand('expected an operand, "!" or "("');
    const opToken = this.tokens.peek();
    if (opToken.type !== 'punct' || !COMPARE_OPS.has(opToken.text)) {
      unexpected(opToken, 'expected a comparison operator (==, !=, <, <=, >, >=)');
    }
    this.tokens.next();
    const op = opToken.text as CompareOp;
    const rightToken = this.tokens.peek();
    const right = this.parseOperand('expected an operand');
    if (op !== '==' && op !== '!=' && (left.kind === 'string' || right.kind === 'string')) {
      throw filterError(`operator "${op}" at offset ${opToken.offset} does not apply to strings; only == and != compare strings`, opToken.offset, op);
    }
    if (left.kind === 'string' && right.kind === 'string' && left.segments.length > 1 && right.segments.length > 1) {
      throw filterError(`cannot compare two glob patterns: ${quoteToken(rightToken.text)} at offset ${rightToken.offset} and ${quoteToken(leftToken.text)} at offset ${leftToken.offset}`, rightToken.offset, rightToken.text);
    }
    return Object.freeze({ kind: 'compare', op, left, right });
  }

  private parseOperand(expected: string): FilterOperand {
    const token = this.tokens.next();
    switch (token.type) {
      case 'ident':
        if (!this.fieldNames.includes(token.text)) this.fieldNames.push(token.text);
        return Object.freeze({ kind: 'field', name: token.text });
      case 'context':
        return Object.freeze({ kind: 'context', name: token.name });
      case 'number':
        return Object.freeze({ kind: 'number', value: token.value });
      case 'string':
        return Object.freeze({ kind: 'string', segments: Object.freeze(token.segments.slice()) });
      case 'punct':
        if (token.text === '-' || token.text === '+') {
          const num = this.tokens.next();
          if (num.type !== 'number') unexpected(num, `expected a number after "${token.text}"`);
          return Object.freeze({ kind: 'number', value: token.text === '-' ? negate(num.value) : num.value });
        }
        return unexpected(token, expected);
      case 'eof':
        return unexpected(token, expected);
    }
  }
}

function negate(value: number | bigint): number | bigint {
  if (typeof value === 'bigint') return integerValue(-value);
  // -0 compares equal to 0 anyway; normalising keeps `-0` and `0` one AST.
  return value === 0 ? 0 : -value;
}

/** Builds an n-ary node, flattening nested nodes of the same kind: `(a && b) && c` is and[a, b, c]. */
function logical(kind: 'and' | 'or', operands: FilterNode[]): FilterNode {
  if (operands.length === 1) return operands[0];
  const flat: FilterNode[] = [];
  for (const o of operands) {
    if (o.kind === kind) flat.push(...(o as LogicalNode).operands);
    else flat.push(o);
  }
  return Object.freeze({ kind, operands: Object.freeze(flat) });
}

/**
 * Parses a filter expression. Throws a TracemarkError with code ERR_FILTER, `offset` (0-based,
 * UTF-16 code units) and `text` (the offending token) on any error; never anything else.
 */
export function parseFilter(text: string): FilterExpression {
  if (typeof text !== 'string') {
    throw filterError(`filter expression must be a string, got ${text === null ? 'null' : typeof text}`, 0, '');
  }
  if (text.length > MAX_FILTER_LENGTH) {
    throw filterError(`filter expression too long: ${text.length} characters, the limit is ${MAX_FILTER_LENGTH}`, MAX_FILTER_LENGTH, text.slice(MAX_FILTER_LENGTH, MAX_FILTER_LENGTH + 1));
  }
  const { ast, fieldNames } = new Parser(new Tokenizer(text)).parse();
  const expr: FilterExpression = Object.freeze({ text, ast, fieldNames: Object.freeze(fieldNames) });
  parsed.add(expr);
  return expr;
}
