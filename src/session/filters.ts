/**
 * The filters of a session's rule for one marker, as its targets carry them: the compiled
 * expression, then the predicate given to enable() and the session's filter callbacks.
 */
import type { Target } from '../chain/fire.js';
import { chainStats } from '../chain/enable.js';
import type { FilterNode } from '../filter/index.js';
import { onFirstUse } from '../lazy/index.js';
import { markerById, type Marker } from '../marker/index.js';
import type { Registration } from '../registry/index.js';
import type { Rule } from './rules.js';

const filterModule = onFirstUse<typeof import('../filter/index.js')>('filter/index.js');
const nodeModule = onFirstUse<typeof import('../integrations/node/index.js')>('integrations/node/index.js');

export type FilterCallback = (marker: Marker, values: readonly unknown[]) => boolean;

/** Whether the filter expression `node` reads the context field `$ctx.<name>`. */
export function readsContext(node: FilterNode, name: string): boolean {
  switch (node.kind) {
    case 'compare': return [node.left, node.right].some((o) => o.kind === 'context' && o.name === name);
    case 'not': return readsContext(node.operand, name);
    default: return node.operands.some((o) => readsContext(o, name));
  }
}

/**
 * The filter chain of `rule` for the marker of `registration`, with the session's `callbacks`
 * as they are now. Null when the rule can never match that marker (its expression names a
 * field the marker does not have).
 */
export function ruleFilters(registration: Registration, rule: Rule, callbacks: readonly FilterCallback[]): Pick<Target, 'expression' | 'accept'> | null {
  let expression: Target['expression'] = null;
  let predicate: ((values: unknown[]) => boolean) | null = null;
  if (typeof rule.filter === 'function') {
    predicate = rule.filter;
  } else if (rule.filter !== undefined) {
    expression = filterModule().compileFilter(rule.filter, registration.fields, {
      vpid: process.pid, vtid: process.getBuiltinModule('node:worker_threads').threadId, procname: process.title, request: nodeModule().currentRequest,
    }, { valuesAreArrays: true });
    if (expression === null) return null;
  }
  const chained = callbacks.slice();
  if (predicate === null && chained.length === 0) return { expression, accept: null };
  const marker = markerById(registration.id);
  const accept = (values: unknown[]): boolean => {
    try {
      if (predicate !== null && predicate(values) !== true) {
        chainStats.filtered++;
        return false;
      }
      for (const callback of chained) {
        if (callback(marker as Marker, values) !== true) {
          chainStats.filtered++;
          return false;
        }
      }
      return true;
    } catch {
      chainStats.filterErrors++;
      return false;
    }
  };
  return { expression, accept };
}
