/**
 * What an enabled marker does: probes, then global switch → session → channel → filters → encode.
 * Built per marker whenever its targets change, so the common case (one session, no filter)
 * runs a short straight line. Nothing here may throw into the application.
 */
import type { Channel } from '../ring/channel.js';
import { clockNowNs } from '../ring/clock.js';
import { canGenerateCode, type EncodeFn } from '../ring/encode.js';
import { chainStats, globalSwitch } from './tracing.js';

/** Where one enabled marker writes: a channel of a session, behind that session's filters. */
export interface Target {
  /** The session's recording flag, read at fire time. */
  readonly session: { readonly recording: boolean };
  readonly channel: Channel;
  /** Filters of this (session, channel) rule; null when there are none. Never throws. */
  readonly accept: ((values: unknown[]) => boolean) | null;
}

export type Probe = (...args: unknown[]) => void;

export interface FireParts {
  arity: number;
  targets: readonly Target[];
  probes: readonly Probe[];
  encode: EncodeFn;
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

function fireSource(arity: number, hasProbes: boolean): string {
  const params = Array.from({ length: arity }, (_, i) => `a${i}`);
  const list = params.map((p) => `, ${p}`).join('');
  const fill = params.map((p, i) => `vals[${i}] = ${p};`).join(' ');
  return `
const { g, clock, targets, probes, vals, encode, stats, runProbes } = env;
const count = targets.length;
return function fire(${params.join(', ')}) {
  try {
    ${hasProbes ? `${fill} runProbes(probes, vals);` : ''}
    if (!g.enabled || count === 0) return;
    const ts = clock();
    for (let k = 0; k < count; k++) {
      const t = targets[k];
      const ch = t.channel;
      if (!t.session.recording || !ch.enabled) continue;
      if (t.accept !== null) { ${fill} if (!t.accept(vals)) continue; }
      encode(ch, ts${list});
    }
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
    encode: parts.encode,
    stats: chainStats,
    runProbes,
  };
  if (canGenerateCode()) {
    return new Function('env', fireSource(parts.arity, env.probes.length > 0))(env) as (...args: unknown[]) => void;
  }
  return function fireGeneric(...args: unknown[]): void {
    try {
      const vals = args.slice(0, parts.arity);
      while (vals.length < parts.arity) vals.push(undefined);
      if (env.probes.length > 0) runProbes(env.probes, vals);
      if (!globalSwitch.enabled) return;
      const ts = clockNowNs();
      for (const t of env.targets) {
        if (!t.session.recording || !t.channel.enabled) continue;
        if (t.accept !== null && !t.accept(vals)) continue;
        env.encode(t.channel, ts, ...vals);
      }
    } catch {
      chainStats.internalErrors++;
    }
  };
}
