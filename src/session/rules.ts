import { TracemarkError } from '../errors/index.js';
import type { FilterExpression } from '../filter/index.js';

/** `net:*`, `*`, `net:rx`: `*` matches any run of characters, everything else itself. */
export function compilePattern(pattern: unknown): RegExp {
  if (typeof pattern !== 'string' || pattern === '') {
    throw new TracemarkError('ERR_INVALID_ARG', `event pattern must be a non-empty string, got ${JSON.stringify(pattern)}`);
  }
  const source = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${source}$`);
}

export interface Rule {
  readonly pattern: string;
  readonly regex: RegExp;
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
    if (rule.regex.test(name)) return rule;
  }
  return undefined;
}
