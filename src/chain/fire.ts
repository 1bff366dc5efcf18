/**
 * What an enabled marker does: probes, then global switch → session → channel → filters → encode.
 * Built once per marker, reading its targets from a route that changes with the sessions, so the
 * common case (one session, no filter) runs a short straight line. Nothing here may throw into
 * the application.
 */
import type { Channel } from '../ring/channel.js';
import { clockNowNs } from '../ring/clock.js';
import type { FieldInfo } from '../format/parse.js';
import { canGenerateCode, codeTag, createGenericEncoder, encoderDeclarations, encoderHelpers, encoderStatements } from '../ring/encode.js';
import { switchCells } from '../process/state.js';
import { chainStats } from './enable.js';

/** Where one enabled marker writes: a channel of a session, behind that session's filters. */
export interface Target {
  /**
   * The session's recording switch, read at fire time: `[0] === 1` while it records. A one-cell
   * view of the switch cells that worker threads read too (src/process/state.ts), so that the
   * fire function is the same, and costs the same, in every thread.
   */
  readonly recording: Int32Array;
  readonly channel: Channel;
  /** The rule's compiled filter expression (never throws; rejections counted by fire), or null. */
  readonly expression: ((values: ArrayLike<unknown>) => boolean) | null;
  /** Filter callbacks (user code: counts its own rejections and errors, never throws), or null. */
  readonly accept: ((values: unknown[]) => boolean) | null;
}

export type Probe = (...args: unknown[]) => void;

export interface FireParts {
  id: number;
  fields: readonly FieldInfo[];
  arity: number;
  targets: readonly Target[];
  probes: readonly Probe[];
  /** The marker's switch: its fire function is kept and only re-routed (see Route). */
  owner?: object;
}

function runProbes(probes: readonly Probe[], values: unknown[]): void {
  for (const probe of probes) {
    try {
      probe(...values);
    } catch {
      chainStats.probeErrors++;
    }
  }
}

/**
 * Where a marker's fire function finds its targets and probes. The fire function is built once
 * per marker and reads this object at every event; a change of sessions, rules, filters or probes
 * rewrites the route, never the function. So the marker's call to it keeps one target for ever
 * (V8 inlines it or calls it directly), and no caller is deoptimised or left with a megamorphic
 * call site by toggling (docs/design/zero-cost-markers.md).
 */
interface Route {
  /** The first target (nearly always the only one), read without a loop; null when none. */
  t0: Target | null;
  /** Further targets. */
  rest: readonly Target[];
  /** Probes to run on every fire, or null. */
  probes: readonly Probe[] | null;
}

/**
 * Source of one marker's fire function. Its source is unique to the marker (`codeTag`): V8 caches
 * `new Function` by source text, and two markers compiled from one text would share one
 * SharedFunctionInfo and one feedback cell ("many closures"), which turns off the JIT's
 * specialisation to the closure's constants and mixes the markers' type feedback.
 */
function fireSource(parts: FireParts, tag: string): string {
  // The encoder statements coerce `a0..aN` in place: each target encodes from its own copies of
  // the caller's arguments `p0..pN`, so that a later target's filter sees the caller's values,
  // not those a former target coerced (and every target counts its own coercions).
  const params = Array.from({ length: parts.arity }, (_, i) => `p${i}`);
  const fill = params.map((p, i) => `vals[${i}] = ${p};`).join(' ');
  const copy = parts.arity === 0 ? '' : `let ${params.map((p, i) => `a${i} = ${p}`).join(', ')};`;
  // Sets `kept` to the target's channel when its session records and its filters keep the event.
  const admit = (t: string, kept: string, exit: string): string => `
      const ch = ${t}.channel;
      if (${t}.recording[0] !== 1 || !ch.enabled) ${exit}
      const e = ${t}.expression, f = ${t}.accept;
      if (e !== null) { ${fill} if (!e(vals)) { stats.filtered++; ${exit} } }
      if (f !== null) { ${fill} if (!f(vals)) ${exit} }
      ${kept} = ch;`;
  const encode = (kept: string, exit: string): string => `
      const ch = ${kept};
      ${copy}
      ${encoderStatements(parts.id, parts.fields, exit).join('\n      ')}`;
  const args = params.join(', ');
  // The clock is read once, by the first target that keeps the event: as in LTTng, an event that
  // every filter rejects costs no clock read (the most expensive step). It is read outside any
  // try block: V8 12.4 (Node 22) compiles a fast API call inside one as a slow call, which boxes
  // the clock's double (an allocation per event) and costs ~10 ns more. The clock cannot throw
  // (src/ring/clock.ts); all else that can (coercions, a full ring's bookkeeping) stays inside.
  // Further targets are encoded by a second function, called only when there are some: the
  // common path stays half as large, so V8 compiles it sooner and once.
  return `
const { g, clock, route, vals, h, stats, runProbes } = env;
${encoderDeclarations(parts.fields)}
function ${tag}_rest(rest, ts${params.map((p) => `, ${p}`).join('')}) {
  for (let k = 0; k < rest.length; k++) {
    const t = rest[k];
    let kept = null;
    try {${admit('t', 'kept', 'continue;')}
    } catch {
      stats.internalErrors++;
      return;
    }
    if (ts < 0) ts = clock();
    try {${encode('kept', 'continue;')}
    } catch {
      stats.internalErrors++;
      return;
    }
  }
}
return function ${tag}(${args}) {
  let kept = null;
  try {
    const probes = route.probes;
    if (probes !== null) { ${fill} runProbes(probes, vals); }
    if (g[0] !== 1) return;
    const t0 = route.t0;
    if (t0 === null) return;
    first: {${admit('t0', 'kept', 'break first;')}
    }
  } catch {
    stats.internalErrors++;
    return;
  }
  const ts = kept !== null ? clock() : -0.5; // -0.5: a double, so that the JIT keeps ts unboxed
  if (kept !== null) {
    try {
      first: {${encode('kept', 'break first;')}
      }
    } catch {
      stats.internalErrors++;
    }
  }
  // Outside the try as well: the rest function catches what it may throw, and inlined into a
  // try block its clock read would be a slow call again.
  const rest = route.rest;
  if (rest.length > 0) ${tag}_rest(rest, ts${params.map((p) => `, ${p}`).join('')});
};`;
}

interface StableFire {
  fire: (...args: unknown[]) => void;
  route: Route;
}

/** The fire function and route of each marker (keyed by its switch), in this copy of tracemark. */
const stableFires = new WeakMap<object, StableFire>();

function setRoute(route: Route, parts: FireParts): void {
  route.t0 = parts.targets.length > 0 ? parts.targets[0] : null;
  route.rest = parts.targets.slice(1);
  route.probes = parts.probes.length > 0 ? parts.probes.slice() : null;
}

/** Whether the marker owning `owner` has its fire function already (then createFire re-routes it). */
export function hasFire(owner: object): boolean {
  return stableFires.has(owner);
}

/**
 * The fire function of a marker for its current targets and probes. With `parts.owner` (the
 * marker's switch), the same function is returned every time and only its route changes.
 */
export function createFire(parts: FireParts): (...args: unknown[]) => void {
  if (canGenerateCode()) {
    const owner = parts.owner;
    const existing = owner === undefined ? undefined : stableFires.get(owner);
    if (existing !== undefined) {
      setRoute(existing.route, parts);
      return existing.fire;
    }
    const route: Route = { t0: null, rest: [], probes: null };
    setRoute(route, parts);
    const env = {
      // tracing.enabled is cell 0 of this thread's switch cells (shared with the workers).
      g: switchCells,
      clock: clockNowNs,
      route,
      vals: new Array<unknown>(parts.arity),
      h: encoderHelpers,
      stats: chainStats,
      runProbes,
    };
    const fire = new Function('env', fireSource(parts, codeTag('fire', parts.id)))(env) as (...args: unknown[]) => void;
    if (owner !== undefined) stableFires.set(owner, { fire, route });
    return fire;
  }
  // Without code generation (--disallow-code-generation-from-strings): the reference encoder.
  const targets = parts.targets.slice();
  const probes = parts.probes.slice();
  const encode = createGenericEncoder(parts.id, parts.fields);
  return function fireGeneric(...args: unknown[]): void {
    try {
      const vals = args.slice(0, parts.arity);
      while (vals.length < parts.arity) vals.push(undefined);
      if (probes.length > 0) runProbes(probes, vals);
      if (switchCells[0] !== 1) return;
      let ts = -0.5;
      for (const t of targets) {
        if (t.recording[0] !== 1 || !t.channel.enabled) continue;
        if (t.expression !== null && !t.expression(vals)) { chainStats.filtered++; continue; }
        if (t.accept !== null && !t.accept(vals)) continue;
        if (ts < 0) ts = clockNowNs();
        encode(t.channel, ts, ...vals);
      }
    } catch {
      chainStats.internalErrors++;
    }
  };
}
