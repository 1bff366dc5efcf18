import { TracemarkError } from '../errors/index.js';
import type { FilterExpression } from '../filter/index.js';
import { describeValue } from '../format/parse.js';

/** A compiled event pattern: `test(name)` runs in time linear in the name and the pattern. */
export interface NamePattern {
  readonly source: string;
  /** The one name matched, for a pattern without `*`. */
  readonly literal: string | undefined;
  test(name: string): boolean;
}

/**
 * `net:*`, `*`, `net:rx`: `*` matches any run of characters, everything else itself. Matched
 * without backtracking: the pattern's literal pieces are found left to right, each at its first
 * occurrence after the previous one (the first occurrence is always the best choice), so that
 * `'*a'.repeat(10) + '*c'` costs no more than its length (a regex would backtrack for minutes).
 */
export function compilePattern(pattern: unknown): NamePattern {
  if (typeof pattern !== 'string' || pattern === '') {
    throw new TracemarkError('ERR_INVALID_ARG', `event pattern must be a non-empty string, got ${describeValue(pattern)}`);
  }
  const pieces = pattern.split('*');
  if (pieces.length === 1) return { source: pattern, literal: pattern, test: (name) => name === pattern };
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  const middle = pieces.slice(1, -1).filter((piece) => piece !== '');
  const minLength = first.length + last.length;
  return {
    source: pattern,
    literal: undefined,
    test(name: string): boolean {
      if (name.length < minLength || !name.startsWith(first) || !name.endsWith(last)) return false;
      let from = first.length;
      const until = name.length - last.length;
      for (const piece of middle) {
        const at = name.indexOf(piece, from);
        if (at < 0 || at + piece.length > until) return false;
        from = at + piece.length;
      }
      return true;
    },
  };
}

export interface Rule {
  readonly pattern: string;
  readonly matcher: NamePattern;
  readonly on: boolean;
  /** Channel the rule is about; a disable rule without one applies to every channel. */
  readonly channel: string | undefined;
  /** Parsed once at enable(); compiled per marker when the rule applies to it. */
  readonly filter: FilterExpression | ((values: unknown[]) => boolean) | undefined;
}

/** The rule deciding a (marker, channel) pair: the last one that matches, as in LTTng. */
export function decidingRule(rules: readonly Rule[], name: string, channel: string): Rule | undefined {
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i];
    if (rule.channel !== undefined && rule.channel !== channel) continue;
    if (rule.matcher.test(name)) return rule;
  }
  return undefined;
}

/**
 * Appends `rule`, first removing the rules it hides for good: same pattern, and a channel the new
 * rule covers (a rule for every channel covers them all). Those can never decide again, so that
 * toggling one pattern on and off keeps the list at a constant size instead of growing forever.
 */
export function addRule(rules: Rule[], rule: Rule): void {
  let kept = 0;
  for (const old of rules) {
    const hidden = old.pattern === rule.pattern && (rule.channel === undefined || old.channel === rule.channel);
    if (!hidden) rules[kept++] = old;
  }
  rules.length = kept;
  rules.push(rule);
}
