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
import { onFirstUse } from '../lazy/index.js';
import type { Registration, RegistrationListener } from '../registry/index.js';
import type { RegistryLog } from '../threads/registry-log.js';

// Not loaded by an import in the main thread: node:worker_threads and the log are start-up cost.
const logModule = onFirstUse<typeof import('../threads/registry-log.js')>('threads/registry-log.js');

/**
 * True in a worker thread. Read from the builtins Node loaded to start the thread, so that the
 * main thread does not load node:worker_threads to ask (a worker has it loaded already).
 */
export const inWorkerThread: boolean = ((): boolean => {
  try {
    const loaded = (process as unknown as { moduleLoadList?: readonly string[] }).moduleLoadList;
    return Array.isArray(loaded) && loaded.includes('NativeModule internal/process/worker_thread_only');
  } catch {
    return false;
  }
})();

function workerThreads(): typeof import('node:worker_threads') {
  return process.getBuiltinModule('node:worker_threads');
}
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
  /** tracing.enabled: an accessor onto cell 0 of `switchCells` (see switchCellsOf). */
  readonly globalSwitch: { enabled: boolean };
  readonly chainStats: ChainCounters;
  readonly argumentStats: { coerced: number };
  /** Sessions listed by the control socket, with their role. */
  readonly trackedSessions: Map<unknown, string>;
  /** Numbering of default session names. */
  readonly sessionCounter: { count: number };
  /** What this thread shares with the other threads of the process, or null (see below). */
  threads: ThreadShared | null;
  /**
   * The switch cells this thread's fire functions read: [0] tracing.enabled, [1] next free cell,
   * sessions' recording flags from FIRST_FLAG_CELL. Added after the first release of version 1
   * (optional for a state made by such a copy: switchCellsOf adds it).
   */
  switchCells?: Int32Array;
}

/**
 * Cross-thread part (src/threads): the registry log every thread appends to, and the switches
 * (tracing.enabled, each session's recording flag) as Int32 cells that every thread reads.
 * Created by the main thread (at import when the application has loaded node:worker_threads
 * already, else when it creates its first Worker or starts a session that writes a trace) and
 * handed to every Worker created after that through worker_threads' environment data; a worker
 * created before that has none and works alone, as a process of its own would.
 */
export interface ThreadShared {
  readonly isMain: boolean;
  readonly log: RegistryLog;
  /** [0]: tracing.enabled; [1]: next free cell; session recording flags from FIRST_FLAG_CELL. */
  readonly flags: Int32Array;
  /** How far this thread's registry has read the log. */
  readonly logCursor: { id: number; offsetBytes: number };
  /** Set by src/threads/hub.ts once a session needs the other threads. */
  hub: unknown;
}

export const THREADS_ENV_KEY = 'tracemark.threads.v1';
export const FIRST_FLAG_CELL = 8;
const FLAG_CELLS = 4096;

interface ThreadsEnv { log: SharedArrayBuffer; flags: SharedArrayBuffer }

/** A worker's view of the main thread's shared part, from its environment data. */
function workerThreadShared(): ThreadShared | null {
  try {
    const env = workerThreads().getEnvironmentData(THREADS_ENV_KEY) as ThreadsEnv | undefined;
    if (env === undefined || !(env.log instanceof SharedArrayBuffer) || !(env.flags instanceof SharedArrayBuffer)) return null;
    return { isMain: false, log: logModule().registryLogOf(env.log), flags: new Int32Array(env.flags), logCursor: { id: 0, offsetBytes: 0 }, hub: null };
  } catch {
    return null;
  }
}

/**
 * Creates the main thread's shared part (once): the registrations made so far go into the log
 * first, in id order, so that ids stay what they are; Workers created from now on get it.
 */
export function ensureThreadShared(): void {
  const state = processState;
  if (state.threads !== null || inWorkerThread || !stateIsCompatible) return;
  try {
    // The cells the main thread's markers read already: workers read the same ones.
    const flags = switchCells;
    const logs = logModule();
    const log = logs.createRegistryLog();
    const logCursor = { id: 0, offsetBytes: 0 };
    for (const registration of state.registrationsById) logs.appendEntry(log, registration);
    logs.readEntries(log, logCursor);
    workerThreads().setEnvironmentData(THREADS_ENV_KEY, { log: log.buffer, flags: flags.buffer as SharedArrayBuffer } satisfies ThreadsEnv);
    state.threads = { isMain: true, log, flags, logCursor, hub: null };
  } catch { /* this thread works alone */ }
}

/**
 * A session's recording switch, shared with the workers: a cell of this thread's switch cells,
 * or null when all 4088 are taken (then no worker sees the session). Fire functions read
 * `[0] === 1` of such a one-cell view: a typed-array load, in every thread alike. A session
 * that workers never see keeps a cell of its own (privateRecordingCell).
 */
export function allocateRecordingCell(): Int32Array | null {
  const cells = switchCells;
  const cell = Atomics.add(cells, 1, 1);
  return cell < cells.length ? new Int32Array(cells.buffer, cell * 4, 1) : null;
}

/** A recording cell that no other thread reads (the same kind of object as the shared ones). */
export function privateRecordingCell(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** The index of a recording cell in the switch cells (what a worker is told), or -1. */
export function recordingCellIndex(recording: Int32Array): number {
  return recording.buffer === switchCells.buffer ? recording.byteOffset / 4 : -1;
}

function newSwitchCells(enabled: boolean): Int32Array {
  const cells = new Int32Array(new SharedArrayBuffer(FLAG_CELLS * 4));
  cells[0] = enabled ? 1 : 0;
  cells[1] = FIRST_FLAG_CELL;
  return cells;
}

/**
 * tracing.enabled is cell 0: a worker reads the main thread's cell, so that one flip stops every
 * thread at once, and the main thread's fire functions read it the same way (one typed-array
 * load, no accessor call: docs/design/zero-cost-markers.md, "Worker threads"). The object keeps
 * its `enabled` property for every copy of tracemark, as an accessor onto the cell.
 */
function bindGlobalSwitch(target: { enabled: boolean }, cells: Int32Array): void {
  Object.defineProperty(target, 'enabled', {
    get(): boolean { return cells[0] === 1; },
    set(value: boolean) { Atomics.store(cells, 0, value === true ? 1 : 0); },
    enumerable: true,
    configurable: true,
  });
}

/** The state's switch cells; a state made by a copy without them gets them now. */
function switchCellsOf(state: ProcessStateV1): Int32Array {
  if (state.switchCells !== undefined) return state.switchCells;
  const cells = state.threads?.flags ?? newSwitchCells(state.globalSwitch.enabled !== false);
  bindGlobalSwitch(state.globalSwitch, cells);
  state.switchCells = cells;
  return cells;
}

const PACKAGE_VERSION = '0.1.0';

function freshState(threads: ThreadShared | null): ProcessStateV1 {
  const cells = threads?.flags ?? newSwitchCells(true);
  const globalSwitch = { enabled: true };
  bindGlobalSwitch(globalSwitch, cells);
  return {
    version: 1,
    createdBy: PACKAGE_VERSION,
    registrationsByName: new Map(),
    registrationsById: [],
    registrationListeners: new Set(),
    markersById: new Map(),
    markerStates: [],
    targetSources: new Set(),
    globalSwitch,
    chainStats: { probeErrors: 0, filterErrors: 0, filtered: 0, internalErrors: 0 },
    argumentStats: { coerced: 0 },
    trackedSessions: new Map(),
    sessionCounter: { count: 0 },
    threads,
    switchCells: cells,
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
    const state = freshState(inWorkerThread ? workerThreadShared() : null);
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
  return { state: freshState(null), compatible: false };
}

const attached = attach();

/** The state this copy uses: the process's, or a private one (see `stateIsCompatible`). */
export const processState: ProcessStateV1 = attached.state;
/** False when another copy holds an incompatible state: this copy's markers then stay off. */
export const stateIsCompatible: boolean = attached.compatible;
/** This thread's switch cells (see ProcessStateV1.switchCells), read by every fire function. */
export const switchCells: Int32Array = switchCellsOf(processState);

if (!inWorkerThread && stateIsCompatible) {
  // Free when the application loaded node:worker_threads already (a static import of it is
  // linked before this module runs): Workers it creates from the start then record too.
  try {
    const loaded = (process as unknown as { moduleLoadList?: readonly string[] }).moduleLoadList;
    if (Array.isArray(loaded) && loaded.includes('NativeModule worker_threads')) ensureThreadShared();
  } catch { /* lazily, then */ }
  // Otherwise when the application creates its first Worker (for the ones after it).
  if (processState.threads === null) process.once('worker', () => ensureThreadShared());
}

// Code generation: whether this process allows it, and names unique to this copy. Here, not with
// the encoders (src/ring/encode.ts), so that declaring a marker does not load those.

/** Differs between copies of tracemark in one process, whose marker ids coincide. */
const COPY_NONCE = Math.floor(Math.random() * 2 ** 32).toString(36);

/**
 * A function name unique to one generated function of this copy of tracemark. V8 caches
 * `new Function` by source text: functions generated from one text share one SharedFunctionInfo
 * and one feedback cell ("many closures"), so they lose the JIT's specialisation to their
 * closure's constants and mix their type feedback. A unique name makes every source unique.
 */
export function codeTag(kind: string, id: number): string {
  return `tracemark_${kind}_${id}_${COPY_NONCE}`;
}

let codegenAllowed: boolean | undefined;

/** Whether `new Function` works in this process (it does not under --disallow-code-generation-from-strings). */
export function canGenerateCode(): boolean {
  if (codegenAllowed === undefined) {
    try {
      codegenAllowed = new Function('return 1')() === 1;
    } catch {
      codegenAllowed = false;
    }
  }
  return codegenAllowed;
}
