/**
 * The process-wide switch of the enable chain, and the counters of everything the chain drops
 * or survives on behalf of the application.
 */
import { argumentStats } from '../ring/coerce.js';

/** Read by every enabled marker before it reads the clock. */
export const globalSwitch = { enabled: true };

export const chainStats = {
  /** Exceptions thrown by probes (attach callbacks); the event goes on. */
  probeErrors: 0,
  /** Exceptions thrown by filter callbacks; that event is dropped for that session. */
  filterErrors: 0,
  /** Events rejected by a filter (expression or callback). */
  filtered: 0,
  /** Unexpected exceptions inside the tracer, swallowed so that the caller never sees them. */
  internalErrors: 0,
};

export interface TracingStats {
  probeErrors: number;
  filterErrors: number;
  filtered: number;
  internalErrors: number;
  /** Arguments of the wrong type that were coerced or replaced by a placeholder. */
  coercedArguments: number;
}

/**
 * Process-wide tracing switch and counters.
 * @example
 * tracing.enabled = false; // stops all writing at once; probes still run
 * console.log(tracing.stats().coercedArguments);
 */
export const tracing = {
  get enabled(): boolean {
    return globalSwitch.enabled;
  },
  set enabled(value: boolean) {
    globalSwitch.enabled = value === true;
  },
  stats(): TracingStats {
    return { ...chainStats, coercedArguments: argumentStats.coerced };
  },
};
