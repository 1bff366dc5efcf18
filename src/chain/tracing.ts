/**
 * The process-wide switch of the enable chain, and the counters of everything the chain drops
 * or survives on behalf of the application.
 */
import { processState, type ChainCounters } from '../process/state.js';

/** tracing.enabled, an accessor onto the switch cell that the fire functions read. */
export const globalSwitch: { enabled: boolean } = processState.globalSwitch;

/**
 * probeErrors: exceptions thrown by probes (attach callbacks), the event goes on; filterErrors:
 * thrown by filter callbacks, that event is dropped for that session; filtered: events rejected
 * by a filter; internalErrors: unexpected exceptions inside the tracer, swallowed so that the
 * caller never sees them. Shared by every copy of tracemark in the process.
 */
export const chainStats: ChainCounters = processState.chainStats;

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
    // One shared cell (src/process/state.ts): every thread's markers read it.
    globalSwitch.enabled = value === true;
  },
  stats(): TracingStats {
    return { ...chainStats, coercedArguments: processState.argumentStats.coerced };
  },
};
