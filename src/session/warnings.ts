/**
 * Zero results explained (issue 11): after a recording, what the rules could never have matched.
 * Shared by `tracemark record` (from the trace's metadata) and `tracemark ctl stop` (from the
 * registry of the process), so that both say the same thing.
 */
import { parseFilter } from '../filter/index.js';
import { CONTEXT_NAMES } from '../filter/ast.js';
import { compilePattern } from './rules.js';

export interface DeclaredMarker {
  readonly name: string;
  /** Field names, as the filter names them. */
  readonly fields: readonly string[];
}

export interface EnableRule {
  readonly pattern: string;
  readonly filter?: string;
}

const LISTED_MAX = 12;

function listed(names: readonly string[]): string {
  const shown = names.slice(0, LISTED_MAX).join(', ');
  return names.length > LISTED_MAX ? `${shown} and ${names.length - LISTED_MAX} more` : shown;
}

/**
 * One line per pattern that matches no declared marker, per filter field that no marker its
 * rule enables has, and one note when no marker was declared at all. Empty when all is well.
 */
export function zeroResultWarnings(declared: readonly DeclaredMarker[], rules: readonly EnableRule[]): string[] {
  if (declared.length === 0) {
    return ['note: the program declared no marker, so there was nothing to record. Markers are '
      + "declared with marker() from 'tracemark' (docs/api.md); Node.js's own events are recorded "
      + 'only as the node:* markers tracemark declares, and none was declared here either.'];
  }
  const lines: string[] = [];
  const names = [...new Set(declared.map((m) => m.name))].sort();
  const contextNames = new Set<string>(CONTEXT_NAMES);
  for (const rule of rules) {
    let test: (name: string) => boolean;
    try {
      test = compilePattern(rule.pattern).test;
    } catch {
      continue; // refused when the rule was given
    }
    const enabled = declared.filter((m) => test(m.name));
    if (enabled.length === 0) {
      lines.push(`warning: pattern ${JSON.stringify(rule.pattern)} matched no marker; declared: ${listed(names)}`);
      continue;
    }
    if (rule.filter === undefined) continue;
    let fieldNames: readonly string[];
    try {
      fieldNames = parseFilter(rule.filter).fieldNames;
    } catch {
      continue;
    }
    for (const field of fieldNames) {
      if (contextNames.has(field) || enabled.some((m) => m.fields.includes(field))) continue;
      const withFields = [...new Map(enabled.map((m) => [m.name, m])).values()]
        .map((m) => `${m.name} (${m.fields.length === 0 ? 'no fields' : m.fields.join(', ')})`);
      lines.push(`warning: filter ${JSON.stringify(rule.filter)} names field ${JSON.stringify(field)}, which no marker enabled by `
        + `${JSON.stringify(rule.pattern)} has, so it kept no event (a marker lacking a field the filter names never matches); enabled: ${listed(withFields)}`);
    }
  }
  return lines;
}
