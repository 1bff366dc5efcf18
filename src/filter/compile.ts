/**
 * Compiles a parsed filter for one marker's field layout into a tree of small closures.
 *
 * Everything that can be decided without the event is decided here, once per marker: field
 * names become indexes into the argument array, `$ctx.*` become constants, the closure for each
 * comparison is picked by operator and operand types (so the per-event code is e.g.
 * `typeof x === 'number' ? x > k : ...`, no switch on node kinds), and constant
 * sub-expressions are folded. Each closure guards with `typeof` before comparing, so a value of
 * an unexpected type (undefined, an object with a throwing valueOf, a string on a numeric
 * field) compares false without coercion; the root additionally catches, for a broken
 * `values` container. No closure allocates when called.
 */
import type { CompareOp, FilterExpression, FilterNode, FilterOperand } from './ast.js';
import { globShape, matchGlob } from './glob.js';
import { isParsedFilter, parseFilter } from './parser.js';
import { TracemarkError } from '../errors/index.js';

export type FilterPredicate = (values: ArrayLike<unknown>) => boolean;

export interface FilterField {
  readonly name: string;
  /** A FieldType (`i32`, `u64`, `f64`, `string`, `char`, `blob`, ...). */
  readonly type: string;
}

export interface FilterContext {
  readonly vpid: number;
  readonly vtid: number;
  readonly procname: string;
  /** `$ctx.request`, read when each event is filtered (0 outside a request); absent: compares false. */
  readonly request?: () => number;
}

type Pred = FilterPredicate;
/** A compiled sub-expression: a predicate, or a constant when folded. */
type Compiled = Pred | boolean;

const NUMERIC_TYPES: ReadonlySet<string> = new Set(['i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64', 'f64']);
const STRING_TYPES: ReadonlySet<string> = new Set(['char', 'string']);

/** What a field's values compare as; 'none' (blob, unknown types) compares false with anything. */
type Kind = 'num' | 'str' | 'none';

type Resolved =
  | { readonly k: 'field'; readonly index: number; readonly kind: Kind }
  | { readonly k: 'num'; readonly value: number | bigint }
  | { readonly k: 'str'; readonly segments: readonly string[] }
  /** A context value read per event (`$ctx.request`). */
  | { readonly k: 'dyn'; readonly get: () => unknown }
  | { readonly k: 'none' };

const FLIP: Readonly<Record<CompareOp, CompareOp>> = { '==': '==', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function isNumeric(x: unknown): x is number | bigint {
  return typeof x === 'number' || typeof x === 'bigint';
}

/** The reference semantics of a numeric comparison: exact across number/bigint, false with NaN. */
export function compareNumbers(op: CompareOp, a: number | bigint, b: number | bigint): boolean {
  switch (op) {
    case '==': return a == b; // loose == between number and bigint compares mathematical values
    case '!=': return a < b || a > b; // not `a != b`: NaN is unordered, so `!=` is false too
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
  }
}

/* ---- comparison closures, one per (operand types, operator) ---- */

/** Numeric field vs a `number` constant (finite: literals are, and context numbers are checked). */
function numFieldVsNumber(op: CompareOp, i: number, k: number): Pred {
  // The bigint a value equal to k would be, if k is integral: lets bigint values use ===.
  const kb = Number.isInteger(k) ? BigInt(k) : null;
  switch (op) {
    case '==': return (v) => { const x = v[i]; return typeof x === 'number' ? x === k : typeof x === 'bigint' && x === kb; };
    case '!=': return (v) => { const x = v[i]; return typeof x === 'number' ? x !== k && x === x : typeof x === 'bigint' && x !== kb; };
    case '<': return (v) => { const x = v[i]; return typeof x === 'number' ? x < k : typeof x === 'bigint' && x < k; };
    case '<=': return (v) => { const x = v[i]; return typeof x === 'number' ? x <= k : typeof x === 'bigint' && x <= k; };
    case '>': return (v) => { const x = v[i]; return typeof x === 'number' ? x > k : typeof x === 'bigint' && x > k; };
    case '>=': return (v) => { const x = v[i]; return typeof x === 'number' ? x >= k : typeof x === 'bigint' && x >= k; };
  }
}

/** Numeric field vs a `bigint` constant (beyond 2^53: 64-bit fields). */
function numFieldVsBigint(op: CompareOp, i: number, k: bigint): Pred {
  // The double equal to k, if there is one (2^60 is, 2^60+1 is not): lets number values use ===.
  // (Number() of a huge bigint is Infinity, which BigInt() refuses: check finiteness first.)
  const approx = Number(k);
  const kn = Number.isFinite(approx) && BigInt(approx) === k ? approx : NaN;
  switch (op) {
    case '==': return (v) => { const x = v[i]; return typeof x === 'bigint' ? x === k : typeof x === 'number' && x === kn; };
    case '!=': return (v) => { const x = v[i]; return typeof x === 'bigint' ? x !== k : typeof x === 'number' && x === x && x !== kn; };
    case '<': return (v) => { const x = v[i]; return typeof x === 'bigint' ? x < k : typeof x === 'number' && x < k; };
    case '<=': return (v) => { const x = v[i]; return typeof x === 'bigint' ? x <= k : typeof x === 'number' && x <= k; };
    case '>': return (v) => { const x = v[i]; return typeof x === 'bigint' ? x > k : typeof x === 'number' && x > k; };
    case '>=': return (v) => { const x = v[i]; return typeof x === 'bigint' ? x >= k : typeof x === 'number' && x >= k; };
  }
}

/** Two numeric fields. */
function numFieldVsField(op: CompareOp, i: number, j: number): Pred {
  switch (op) {
    case '==': return (v) => { const a = v[i], b = v[j]; return isNumeric(a) && isNumeric(b) && a == b; };
    case '!=': return (v) => { const a = v[i], b = v[j]; return isNumeric(a) && isNumeric(b) && (a < b || a > b); };
    case '<': return (v) => { const a = v[i], b = v[j]; return isNumeric(a) && isNumeric(b) && a < b; };
    case '<=': return (v) => { const a = v[i], b = v[j]; return isNumeric(a) && isNumeric(b) && a <= b; };
    case '>': return (v) => { const a = v[i], b = v[j]; return isNumeric(a) && isNumeric(b) && a > b; };
    case '>=': return (v) => { const a = v[i], b = v[j]; return isNumeric(a) && isNumeric(b) && a >= b; };
  }
}

/** String field vs a string literal or `$ctx.procname`, with or without wildcards. */
function strFieldVsString(op: '==' | '!=', i: number, segments: readonly string[]): Compiled {
  const g = globShape(segments);
  const eq = op === '==';
  switch (g.shape) {
    case 'exact': {
      const t = g.text;
      return eq
        ? (v) => { const x = v[i]; return typeof x === 'string' && x === t; }
        : (v) => { const x = v[i]; return typeof x === 'string' && x !== t; };
    }
    case 'any': // every string matches "*", so `!=` can never be true
      return eq ? (v) => typeof v[i] === 'string' : false;
    case 'prefix': {
      const t = g.text;
      return eq
        ? (v) => { const x = v[i]; return typeof x === 'string' && x.startsWith(t); }
        : (v) => { const x = v[i]; return typeof x === 'string' && !x.startsWith(t); };
    }
    case 'suffix': {
      const t = g.text;
      return eq
        ? (v) => { const x = v[i]; return typeof x === 'string' && x.endsWith(t); }
        : (v) => { const x = v[i]; return typeof x === 'string' && !x.endsWith(t); };
    }
    case 'contains': {
      const t = g.text;
      return eq
        ? (v) => { const x = v[i]; return typeof x === 'string' && x.includes(t); }
        : (v) => { const x = v[i]; return typeof x === 'string' && !x.includes(t); };
    }
    case 'general': {
      const segs = g.segments;
      return eq
        ? (v) => { const x = v[i]; return typeof x === 'string' && matchGlob(segs, x); }
        : (v) => { const x = v[i]; return typeof x === 'string' && !matchGlob(segs, x); };
    }
  }
}

/** Two string fields: plain equality, no globbing (only literals carry wildcards). */
function strFieldVsField(op: '==' | '!=', i: number, j: number): Pred {
  return op === '=='
    ? (v) => { const a = v[i], b = v[j]; return typeof a === 'string' && typeof b === 'string' && a === b; }
    : (v) => { const a = v[i], b = v[j]; return typeof a === 'string' && typeof b === 'string' && a !== b; };
}

/* ---- logical closures ---- */

function not(p: Pred): Pred {
  return (v) => !p(v);
}

/** n-ary && / ||; the fixed arities avoid the loop for the common cases. */
function logical(kind: 'and' | 'or', ps: readonly Pred[]): Pred {
  const [p0, p1, p2] = ps;
  if (kind === 'and') {
    if (ps.length === 2) return (v) => p0(v) && p1(v);
    if (ps.length === 3) return (v) => p0(v) && p1(v) && p2(v);
    return (v) => { for (let k = 0; k < ps.length; k++) if (!ps[k](v)) return false; return true; };
  }
  if (ps.length === 2) return (v) => p0(v) || p1(v);
  if (ps.length === 3) return (v) => p0(v) || p1(v) || p2(v);
  return (v) => { for (let k = 0; k < ps.length; k++) if (ps[k](v)) return true; return false; };
}

/* ---- compiler ---- */

class Compiler {
  constructor(
    private readonly indexes: ReadonlyMap<string, { index: number; kind: Kind }>,
    private readonly context: FilterContext,
  ) {}

  node(node: FilterNode): Compiled {
    switch (node.kind) {
      case 'compare': return this.compare(node.op, this.operand(node.left), this.operand(node.right));
      case 'not': {
        const p = this.node(node.operand);
        return typeof p === 'boolean' ? !p : not(p);
      }
      case 'and':
      case 'or': {
        // && : a false operand decides, true operands drop out (dually for ||).
        const decisive = node.kind === 'or';
        const ps: Pred[] = [];
        for (const o of node.operands) {
          const p = this.node(o);
          if (p === decisive) return decisive;
          if (typeof p !== 'boolean') ps.push(p);
        }
        if (ps.length === 0) return !decisive;
        return ps.length === 1 ? ps[0] : logical(node.kind, Object.freeze(ps));
      }
    }
  }

  private operand(o: FilterOperand): Resolved {
    switch (o.kind) {
      case 'field': {
        const f = this.indexes.get(o.name);
        // compileFilter returns null before compiling when a field is missing.
        if (f === undefined) throw new Error(`internal: unresolved field ${o.name}`);
        return { k: 'field', index: f.index, kind: f.kind };
      }
      case 'number': return { k: 'num', value: o.value };
      case 'string': return { k: 'str', segments: o.segments };
      case 'context': {
        if (o.name === 'request') {
          const get = this.context.request;
          return typeof get === 'function' ? { k: 'dyn', get } : { k: 'none' };
        }
        const value: unknown = this.context[o.name];
        if (o.name === 'procname') return typeof value === 'string' ? { k: 'str', segments: [value] } : { k: 'none' };
        // A junk context number (NaN, a string) is 'none': compares false, like a junk value.
        return (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint'
          ? { k: 'num', value }
          : { k: 'none' };
      }
    }
  }

  private compare(op: CompareOp, left: Resolved, right: Resolved): Compiled {
    if (left.k === 'dyn' || right.k === 'dyn') return dynamicCompare(op, left, right);
    if (left.k !== 'field') {
      if (right.k !== 'field') return foldCompare(op, left, right);
      return this.compare(FLIP[op], right, left); // put the field on the left: `5 < a` is `a > 5`
    }
    if (left.kind === 'none' || right.k === 'none') return false;
    const eqOp = op === '==' || op === '!=' ? op : null;
    switch (right.k) {
      case 'num':
        if (left.kind !== 'num') return false;
        return typeof right.value === 'number'
          ? numFieldVsNumber(op, left.index, right.value)
          : numFieldVsBigint(op, left.index, right.value);
      case 'str':
        return left.kind === 'str' && eqOp !== null ? strFieldVsString(eqOp, left.index, right.segments) : false;
      case 'field':
        if (left.kind === 'num' && right.kind === 'num') return numFieldVsField(op, left.index, right.index);
        if (left.kind === 'str' && right.kind === 'str' && eqOp !== null) return strFieldVsField(eqOp, left.index, right.index);
        return false;
    }
  }
}

/** A numeric read of one operand per event, or null when it is not numeric. */
function numericReader(r: Resolved): ((v: ArrayLike<unknown>) => unknown) | null {
  switch (r.k) {
    case 'dyn': { const get = r.get; return () => get(); }
    case 'num': { const k = r.value; return () => k; }
    case 'field': { const i = r.index; return r.kind === 'num' ? (v) => v[i] : null; }
    default: return null;
  }
}

/** Comparisons with a per-event context value: numeric only (anything else compares false). */
function dynamicCompare(op: CompareOp, left: Resolved, right: Resolved): Compiled {
  const a = numericReader(left);
  const b = numericReader(right);
  if (a === null || b === null) return false;
  return (v) => {
    const x = a(v);
    const y = b(v);
    return isNumeric(x) && isNumeric(y) && compareNumbers(op, x, y);
  };
}

function foldCompare(op: CompareOp, a: Resolved, b: Resolved): boolean {
  if (a.k === 'num' && b.k === 'num') return compareNumbers(op, a.value, b.value);
  if (a.k === 'str' && b.k === 'str' && (op === '==' || op === '!=')) {
    // At most one side is a glob (the parser refuses two); match the other side against it.
    const equal = a.segments.length > 1
      ? b.segments.length === 1 && matchGlob(a.segments, b.segments[0])
      : b.segments.length > 1 ? matchGlob(b.segments, a.segments[0]) : a.segments[0] === b.segments[0];
    return op === '==' ? equal : !equal;
  }
  return false;
}

function kindOf(type: string): Kind {
  return NUMERIC_TYPES.has(type) ? 'num' : STRING_TYPES.has(type) ? 'str' : 'none';
}

/**
 * Compiles `expr` for a marker whose arguments are described by `fields` (in argument order).
 * Returns null when the filter can never match this marker: it names a field the marker lacks
 * (whatever the surrounding `!` or `||`), or it folds to constant false. Throws ERR_FILTER if
 * `expr` is a string that does not parse. `valuesAreArrays`: the caller guarantees `values` is a
 * real array (then no try/catch wrapper is added).
 */
export function compileFilter(
  expr: FilterExpression | string,
  fields: readonly FilterField[],
  context: FilterContext,
  options: { valuesAreArrays?: boolean } = {},
): FilterPredicate | null {
  const parsed = typeof expr === 'string' ? parseFilter(expr) : expr;
  if (!isParsedFilter(parsed)) {
    throw new TracemarkError('ERR_INVALID_ARG', 'compileFilter expects a filter string or an expression returned by parseFilter()');
  }
  const indexes = new Map<string, { index: number; kind: Kind }>();
  fields.forEach((f, index) => {
    if (!indexes.has(f.name)) indexes.set(f.name, { index, kind: kindOf(f.type) });
  });
  for (const name of parsed.fieldNames) if (!indexes.has(name)) return null;
  const compiled = new Compiler(indexes, context).node(parsed.ast);
  if (compiled === false) return null;
  if (compiled === true) return () => true;
  const p = compiled;
  // The typeof guards cover every value, so a caller that always passes a real array (the
  // tracer's fire functions) gets the bare predicate: one call less per event.
  if (options.valuesAreArrays === true) return p;
  // This covers a null/Proxy `values` container from an untyped caller.
  return (values) => {
    try {
      return p(values);
    } catch {
      return false;
    }
  };
}
