/**
 * What an enabled marker does: probes, then global switch → session → channel → filters → encode.
 * Built per marker whenever its targets change, so the common case (one session, no filter)
 * runs a short straight line. Nothing here may throw into the application.
 */
import type { Channel } from '../ring/channel.js';
import { clockNowNs } from '../ring/clock.js';
import type { FieldInfo } from '../format/parse.js';
import { canGenerateCode, createGenericEncoder, encoderHelpers, encoderStatements } from '../ring/encode.js';
import { chainStats, globalSwitch } from './tracing.js';

/** Where one enabled marker writes: a channel of a session, behind that session's filters. */
export interface Target {
  /** The session's recording flag, read at fire time. */
  readonly session: { readonly recording: boolean };
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

/** Beyond this many targets the fire function loops instead of unrolling. */
const MAX_UNROLLED_TARGETS = 8;

/**
 * Source of one marker's fire function. Targets are unrolled into constants of the closure, so
 * that the JIT sees each channel as a known object (its buffers and views folded) and the clock
 * value never leaves the function (a call would box it).
 */
function fireSource(parts: FireParts, hasProbes: boolean): string {
  // The encoder statements coerce `a0..aN` in place: each target encodes from its own copies of
  // the caller's arguments `p0..pN`, so that a later target's filter sees the caller's values,
  // not those a former target coerced (and every target counts its own coercions).
  const params = Array.from({ length: parts.arity }, (_, i) => `p${i}`);
  const fill = params.map((p, i) => `vals[${i}] = ${p};`).join(' ');
  const copy = parts.arity === 0 ? '' : `let ${params.map((p, i) => `a${i} = ${p}`).join(', ')};`;
  const head = `
const { g, clock, targets, probes, vals, h, stats, runProbes } = env;
const count = targets.length;`;
  const prologue = `
    ${hasProbes ? `${fill} runProbes(probes, vals);` : ''}
    if (!g.enabled || count === 0) return;
    // The clock is read once, by the first target that keeps the event: as in LTTng, an event
    // that every filter rejects costs no clock read (the most expensive step, ~40 ns here).
    let ts = -0.5; // a double, so that the JIT keeps ts unboxed`;
  const unroll = parts.targets.length <= MAX_UNROLLED_TARGETS;
  let declarations = '';
  let body = '';
  if (unroll) {
    parts.targets.forEach((_, k) => {
      declarations += `\nconst s${k} = targets[${k}].session, c${k} = targets[${k}].channel, e${k} = targets[${k}].expression, f${k} = targets[${k}].accept;`;
      const encode = encoderStatements(parts.id, parts.fields, `break t${k};`).join('\n      ');
      body += `
    t${k}: if (s${k}.recording && c${k}.enabled) {
      const ch = c${k};
      if (e${k} !== null) { ${fill} if (!e${k}(vals)) { stats.filtered++; break t${k}; } }
      if (f${k} !== null) { ${fill} if (!f${k}(vals)) break t${k}; }
      if (ts < 0) ts = clock();
      ${copy}
      ${encode}
    }`;
    });
  } else {
    const encode = encoderStatements(parts.id, parts.fields, 'continue;').join('\n      ');
    body = `
    for (let k = 0; k < count; k++) {
      const t = targets[k];
      const ch = t.channel;
      if (!t.session.recording || !ch.enabled) continue;
      if (t.expression !== null) { ${fill} if (!t.expression(vals)) { stats.filtered++; continue; } }
      if (t.accept !== null) { ${fill} if (!t.accept(vals)) continue; }
      if (ts < 0) ts = clock();
      ${copy}
      ${encode}
    }`;
  }
  return `${head}${declarations}
return function fire(${params.join(', ')}) {
  try {${prologue}${body}
  } catch {
    stats.internalErrors++;
  }
};`;
}

export function createFire(parts: FireParts): (...args: unknown[]) => void {
  const env = {
    g: globalSwitch,
    clock: clockNowNs,
    targets: parts.targets.slice(),
    probes: parts.probes.slice(),
    vals: new Array<unknown>(parts.arity),
    h: encoderHelpers,
    stats: chainStats,
    runProbes,
  };
  if (canGenerateCode()) {
    return new Function('env', fireSource(parts, env.probes.length > 0))(env) as (...args: unknown[]) => void;
  }
  // Without code generation (--disallow-code-generation-from-strings): the reference encoder.
  const encode = createGenericEncoder(parts.id, parts.fields);
  return function fireGeneric(...args: unknown[]): void {
    try {
      const vals = args.slice(0, parts.arity);
      while (vals.length < parts.arity) vals.push(undefined);
      if (env.probes.length > 0) runProbes(env.probes, vals);
      if (!globalSwitch.enabled) return;
      let ts = -0.5;
      for (const t of env.targets) {
        if (!t.session.recording || !t.channel.enabled) continue;
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
