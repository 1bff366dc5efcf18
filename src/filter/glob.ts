/**
 * Glob matching for string literals with `*` wildcards, on pre-split segments
 * (`"get*x"` is `['get', 'x']`). No RegExp: a pattern is user text, and anchored
 * prefix/suffix checks plus a greedy left-to-right `indexOf` for the middle segments
 * are linear and allocation-free. Greedy leftmost is correct because `*` is the only
 * wildcard: if a middle segment matches anywhere, its leftmost match leaves the most room.
 */

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

/**
 * The shape of a pattern, so that the compiler can emit one closure that calls `startsWith`
 * (etc.) itself: a matcher closure called from the comparison closure would be a second
 * indirect call per event, which costs more than the match for short strings.
 */
export type GlobShape =
  | { readonly shape: 'exact'; readonly text: string } // "abc", "a\*b"
  | { readonly shape: 'any' } // "*"
  | { readonly shape: 'prefix'; readonly text: string } // "get*"
  | { readonly shape: 'suffix'; readonly text: string } // "*.js"
  | { readonly shape: 'contains'; readonly text: string } // "*mid*"
  | { readonly shape: 'general'; readonly segments: readonly string[] }; // "a*b", "a*b*c"

export function globShape(segments: readonly string[]): GlobShape {
  const n = segments.length;
  const first = segments[0];
  const last = segments[n - 1];
  if (n === 1) return { shape: 'exact', text: first };
  if (n === 2 && first === '' && last === '') return { shape: 'any' };
  if (n === 2 && last === '') return { shape: 'prefix', text: first };
  if (n === 2 && first === '') return { shape: 'suffix', text: last };
  if (n === 3 && first === '' && last === '') return { shape: 'contains', text: segments[1] };
  return { shape: 'general', segments: Object.freeze(segments.slice()) };
}
