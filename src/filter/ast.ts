/**
 * The filter AST and its canonical printer.
 *
 * The AST carries no source offsets on purpose: two texts that mean the same thing
 * (`a==1`, `( a == 1 )`) give deep-equal trees, and `printFilter` re-prints a tree as text
 * that parses back to the very same tree (the property tests rely on that).
 */

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type ContextName = 'vpid' | 'vtid' | 'procname' | 'request';

export const CONTEXT_NAMES: readonly ContextName[] = Object.freeze(['vpid', 'vtid', 'procname', 'request'] as const);

/** A marker field, by name; resolved to an index into the marker's arguments at compile time. */
export interface FieldOperand {
  readonly kind: 'field';
  readonly name: string;
}

/**
 * `$ctx.vpid`, `$ctx.vtid`, `$ctx.procname`: folded to constants at compile time; `$ctx.request`
 * (the HTTP request being handled, docs/node.md) is read per event.
 */
export interface ContextOperand {
  readonly kind: 'context';
  readonly name: ContextName;
}

/**
 * A numeric literal. Integers with magnitude up to 2^53-1 are `number`, larger ones `bigint`
 * (kept exact, so `b == 18446744073709551615` works on a u64); floats are always `number`.
 * The sign is folded in: `-3` is `{ value: -3 }`, and `-0` is normalised to `0`.
 */
export interface NumberOperand {
  readonly kind: 'number';
  readonly value: number | bigint;
}

/**
 * A string literal, split at its unescaped `*` wildcards: `"get*"` is `['get', '']`,
 * `"a\*b"` is `['a*b']` (no wildcard), `"*"` is `['', '']`. One segment means an exact string.
 * Runs of wildcards are collapsed (`"a**b"` is `['a', 'b']`), they match the same strings.
 */
export interface StringOperand {
  readonly kind: 'string';
  readonly segments: readonly string[];
}

export type FilterOperand = FieldOperand | ContextOperand | NumberOperand | StringOperand;

export interface CompareNode {
  readonly kind: 'compare';
  readonly op: CompareOp;
  readonly left: FilterOperand;
  readonly right: FilterOperand;
}

export interface NotNode {
  readonly kind: 'not';
  readonly operand: FilterNode;
}

/** `&&` and `||` are n-ary: `a && b && c` (however parenthesised) is one node with 3 operands. */
export interface LogicalNode {
  readonly kind: 'and' | 'or';
  /** Two or more operands, none of the same kind as this node. */
  readonly operands: readonly FilterNode[];
}

export type FilterNode = CompareNode | NotNode | LogicalNode;

/** A parsed, validated filter. Immutable; obtain one from `parseFilter`. */
export interface FilterExpression {
  /** The expression as the user wrote it. */
  readonly text: string;
  readonly ast: FilterNode;
  /** Marker fields the expression names, in order of first appearance, without duplicates. */
  readonly fieldNames: readonly string[];
}

/** Whether a string literal contains a wildcard (and so is a glob pattern). */
export function isGlob(operand: StringOperand): boolean {
  return operand.segments.length > 1;
}

function printNumber(value: number | bigint): string {
  if (typeof value === 'bigint') return String(value);
  if (Number.isSafeInteger(value)) return String(value);
  // An integral double beyond 2^53 printed as digits would re-parse as an exact bigint:
  // the exponent form keeps it a float. toExponential() gives the shortest round-trip digits.
  if (Number.isInteger(value)) return value.toExponential();
  return String(value);
}

function escapeSegment(segment: string): string {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i];
    const code = segment.charCodeAt(i);
    if (ch === '\\' || ch === '"' || ch === '*') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out;
}

export function printOperand(operand: FilterOperand): string {
  switch (operand.kind) {
    case 'field': return operand.name;
    case 'context': return `$ctx.${operand.name}`;
    case 'number': return printNumber(operand.value);
    case 'string': return '"' + operand.segments.map(escapeSegment).join('*') + '"';
  }
}

function printNode(node: FilterNode): string {
  switch (node.kind) {
    case 'compare':
      return `${printOperand(node.left)} ${node.op} ${printOperand(node.right)}`;
    case 'not':
      // `!` applies only to `!` or a parenthesised expression (see the grammar in docs/filters.md).
      return node.operand.kind === 'not' ? '!' + printNode(node.operand) : `!(${printNode(node.operand)})`;
    case 'and':
      return node.operands.map((o) => (o.kind === 'or' || o.kind === 'and' ? `(${printNode(o)})` : printNode(o))).join(' && ');
    case 'or':
      return node.operands.map((o) => (o.kind === 'or' ? `(${printNode(o)})` : printNode(o))).join(' || ');
  }
}

/** Canonical text of an expression or AST node: minimal parentheses, single spaces, `"` quotes. */
export function printFilter(expr: FilterExpression | FilterNode): string {
  return printNode('ast' in expr ? expr.ast : expr);
}
