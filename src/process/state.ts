/**
 * Process-wide state shared by every copy of tracemark loaded in one thread: the ESM and the CJS
 * load of one install, a library's nested copy of another version, the CLI's copy. It lives on
 * `globalThis` under `Symbol.for(STATE_KEY)` (the pattern of the OpenTelemetry API's global), so
 * that every copy declares its markers in one registry that every session sees.
 *
 * Everything in here is plain data plus the functions stored with it: a copy reads only the
 * fields of the version it speaks. A copy that finds another version warns once
 * (`TRACEMARK_STATE_VERSION`) and keeps a private state in which its markers never turn on.
 */
import type { MarkerState, TargetSource } from '../chain/enable.js';
import type { Registration, RegistrationListener } from '../registry/index.js';

export const STATE_KEY = 'tracemark.process-state';
/** Bump when the shape below changes incompatibly. */
export const STATE_VERSION = 1;
export const STATE_VERSION_WARNING = 'TRACEMARK_STATE_VERSION';

export interface ChainCounters {
  probeErrors: number;
  filterErrors: number;
  filtered: number;
  internalErrors: number;
}

export interface ProcessStateV1 {
  readonly version: 1;
  /** Version of the package that created the state (for the warning of other copies). */
  readonly createdBy: string;
  readonly registrationsByName: Map<string, Registration>;
  readonly registrationsById: Registration[];
  readonly registrationListeners: Set<RegistrationListener>;
  /** The marker function of each registration id (the first copy that declared it). */
  readonly markersById: Map<number, unknown>;
  readonly markerStates: MarkerState[];
  readonly targetSources: Set<TargetSource>;
  /** Read by every enabled marker before it reads the clock. */
  readonly globalSwitch: { enabled: boolean };
  readonly chainStats: ChainCounters;
  readonly argumentStats: { coerced: number };
  /** Sessions listed by the control socket, with their role. */
  readonly trackedSessions: Map<unknown, string>;
  /** Numbering of default session names. */
  readonly sessionCounter: { count: number };
}

const PACKAGE_VERSION = '0.1.0';

function freshState(): ProcessStateV1 {
  return {
    version: 1,
    createdBy: PACKAGE_VERSION,
    registrationsByName: new Map(),
    registrationsById: [],
    registrationListeners: new Set(),
    markersById: new Map(),
    markerStates: [],
    targetSources: new Set(),
    globalSwitch: { enabled: true },
    chainStats: { probeErrors: 0, filterErrors: 0, filtered: 0, internalErrors: 0 },
    argumentStats: { coerced: 0 },
    trackedSessions: new Map(),
    sessionCounter: { count: 0 },
  };
}

function attach(): { state: ProcessStateV1; compatible: boolean } {
  const key = Symbol.for(STATE_KEY);
  const holder = globalThis as unknown as Record<symbol, unknown>;
  let existing: unknown;
  try {
    existing = holder[key];
  } catch {
    existing = undefined;
  }
  if (existing === undefined) {
    const state = freshState();
    try {
      // Not enumerable, not writable: invisible to the application's own enumeration of globals.
      Object.defineProperty(globalThis, key, { value: state, enumerable: false, writable: false, configurable: true });
      return { state, compatible: true };
    } catch {
      return { state, compatible: true }; // a frozen globalThis: this copy works alone
    }
  }
  const version = typeof existing === 'object' && existing !== null ? (existing as { version?: unknown }).version : undefined;
  if (version === STATE_VERSION) return { state: existing as ProcessStateV1, compatible: true };
  const by = typeof existing === 'object' && existing !== null ? (existing as { createdBy?: unknown }).createdBy : undefined;
  try {
    process.emitWarning(
      `tracemark ${PACKAGE_VERSION} cannot share the process state of another copy (state version ${String(version)}` +
      `${typeof by === 'string' ? `, tracemark ${by}` : ''}; this copy speaks version ${STATE_VERSION}): ` +
      'its markers stay off. Install one version of tracemark (npm dedupe).',
      { code: STATE_VERSION_WARNING },
    );
  } catch { /* a warning must not break the import */ }
  return { state: freshState(), compatible: false };
}

const attached = attach();

/** The state this copy uses: the process's, or a private one (see `stateIsCompatible`). */
export const processState: ProcessStateV1 = attached.state;
/** False when another copy holds an incompatible state: this copy's markers then stay off. */
export const stateIsCompatible: boolean = attached.compatible;
