/**
 * LTTng-style filter expressions: `len > 100 && proto == "tcp*"`.
 * Grammar, semantics and errors: docs/filters.md.
 */
export { parseFilter, MAX_FILTER_LENGTH, MAX_FILTER_DEPTH } from './parser.js';
export { compileFilter, type FilterPredicate, type FilterField, type FilterContext } from './compile.js';
export {
  printFilter,
  type FilterExpression,
  type FilterNode,
  type FilterOperand,
  type CompareNode,
  type NotNode,
  type LogicalNode,
  type FieldOperand,
  type ContextOperand,
  type NumberOperand,
  type StringOperand,
  type CompareOp,
  type ContextName,
} from './ast.js';
