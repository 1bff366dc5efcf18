/**
 * Glob matching for string literals with `*` wildcards, on pre-split segments
 * (`"get*x"` is `['get', 'x']`). No RegExp: a pattern is user text, and anchored
 * prefix/suffix checks plus a greedy left-to-right `indexOf` for the middle segments
 * are linear and allocation-free. Greedy leftmost is correct because `*` is the only
 * wildcard: if a middle segment matches anywhere, its leftmost match leaves the most room.
 */

export type StringMatcher = (s: string) => boolean;

/** Generic matcher; `segments.length >= 1`, one segment means an exact match. */
export function matchGlob(segments: readonly string[], s: string): boolean {
  const n = segments.length;
  if (n === 1) return s === segments[0];
  const first = segments[0];
  const last = segments[n - 1];
  if (s.length < first.length + last.length || !s.startsWith(first) || !s.endsWith(last)) return false;
  const limit = s.length - last.length;
  let pos = first.length;
  for (let k = 1; k < n - 1; k++) {
    const seg = segments[k];
    const at = s.indexOf(seg, pos);
    if (at < 0 || at + seg.length > limit) return false;
    pos = at + seg.length;
  }
  return true;
}

/** A matcher specialised for the pattern's shape, chosen once at compile time. */
export function compileGlob(segments: readonly string[]): StringMatcher {
  const n = segments.length;
  const first = segments[0];
  const last = segments[n - 1];
  if (n === 1) return (s) => s === first;
  if (n === 2) {
    if (first === '' && last === '') return () => true;
    if (last === '') return (s) => s.startsWith(first);
    if (first === '') return (s) => s.endsWith(last);
    const min = first.length + last.length;
    return (s) => s.length >= min && s.startsWith(first) && s.endsWith(last);
  }
  if (n === 3 && first === '' && last === '') {
    const mid = segments[1];
    return (s) => s.includes(mid);
  }
  const frozen = segments.slice();
  return (s) => matchGlob(frozen, s);
}
