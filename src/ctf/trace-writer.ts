/**
 * Writes a session's trace directory: packetized metadata (appended when markers register while
 * the trace is active) and one stream file per channel, fed by a drainer thread.
 *
 * Every file always ends on a whole packet: a write cut short (a full disk) is undone, so that
 * readers get every packet written before the fault. A fault stops the session with one
 * ERR_TRACE_IO warning, also when the process is ending (the drainer thread leaves the reason in
 * shared memory for the main thread to report).
 */
import { closeSync, fsyncSync } from 'node:fs';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { TracemarkError } from '../errors/index.js';
import { onProcessEnd } from '../exit/index.js';
import { registry } from '../registry/index.js';
import type { Channel } from '../ring/channel.js';
import { appendLossPacket, sealAbandonedPacket } from '../ring/decode.js';
import { CLOCK_ORIGIN_EPOCH_NS } from '../ring/clock.js';
import { CTRL, SUBBUF, sharedDiscarded } from '../ring/layout.js';
import { claimFile, ioError, prepareTraceDir, removeCreated, streamFileName, writeMetadataHead } from './trace-dir.js';
import { drainFinal, drainLocked, ringView, writeWhole, type RingView } from './drain.js';
import { PortPacketSink, postMetadata, type PortSinkSpec } from './packet-sink.js';
import { processEnv } from './env.js';
import { FAULT_TEXT_BYTES, readFault } from './fault.js';
import { eventBlock, metadataHead, metadataPacket, uuidToBytes } from './metadata.js';
import { FOREIGN_RINGS_CELL, syncMetadata, type MetadataTarget } from './metadata-sync.js';
import { processState } from '../process/state.js';
import { startOwnWorker } from '../threads/own-worker.js';

export interface TraceWriterOptions {
  /** Trace directory; without it the packets go to `sink` only. */
  dir?: string;
  uuid: string;
  channels: readonly Channel[];
  traceName: string;
  /** Called once when writing fails; the session then stops recording. */
  onError: (error: TracemarkError) => void;
  /** Every packet also goes there: `drainer` for the drainer thread, `main` for the exit path. */
  sink?: { drainer: PortSinkSpec; main: PortSinkSpec };
  /** The drainer's doorbell, when another party (the sink's consumer) must be able to ring it. */
  doorbell?: Int32Array;
  /** A worker thread's ring became stream `index` of the sink (before any of its packets). */
  onSinkStream?: (index: number, name: string) => void;
  /** That thread ended and every packet of stream `index` went to the sink. */
  onSinkStreamEnd?: (index: number) => void;
  /** Process exit: stops every thread's producers of this trace (the session's recording switch). */
  stopProducers?: () => void;
}

/** How long, after a worker ended, its streams may take to be drained before they are closed. */
const FOREIGN_END_TIMEOUT_MS = 10_000;
const FOREIGN_END_POLL_MS = 20;

/** How long process exit waits for the drainer thread to finish the packet it is writing. */
const EXIT_DRAIN_TIMEOUT_MS = 5000;
/** How long process exit lets worker threads finish the event they were writing. */
const EXIT_PRODUCER_PAUSE_MS = 2;
/**
 * How long start() waits for the drainer thread to run. Until it runs, a synchronous loop would
 * fill the ring and lose events; a thread starts in tens of milliseconds.
 */
const DRAINER_START_TIMEOUT_MS = 5000;

/** A ring written by another thread (a worker), adopted by this trace. */
export interface ForeignRing {
  readonly name: string;
  readonly data: SharedArrayBuffer;
  readonly ctrl: Int32Array;
  readonly subbufSize: number;
  readonly subbufCount: number;
}

export class TraceWriter {
  private readonly options: TraceWriterOptions;
  private metadataFd = -1;
  private readonly rings: RingView[] = [];
  /** [0]: doorbell counter, [1]: stop request, [2]: drainer ready. */
  private readonly doorbell: Int32Array;
  /** Event classes from the registry log shared by every thread (null: this thread alone). */
  private metadataTarget: MetadataTarget | null = null;
  private drainerPort: MessagePort | null = null;
  private readonly foreignRings = new Map<number, RingView[]>();
  /** Stream indexes of those rings (their position in `rings`), by thread and channel index. */
  private readonly foreignIndexes = new Map<number, number[]>();
  /** The drainer thread's reason for stopping, readable even when its message never arrives. */
  private readonly faultText = new SharedArrayBuffer(FAULT_TEXT_BYTES);
  private worker: Worker | null = null;
  private workerDone: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;
  private removeEndHook: (() => void) | null = null;
  private closed = false;
  private failed = false;

  constructor(options: TraceWriterOptions) {
    this.options = options;
    this.doorbell = options.doorbell ?? new Int32Array(new SharedArrayBuffer(12));
  }

  get dir(): string | undefined {
    return this.options.dir;
  }

  /** For messages: the directory, or where the packets go instead. */
  private get where(): string {
    return this.options.dir ?? 'the relay';
  }

  /** Creates the trace files; on failure throws ERR_TRACE_IO and leaves nothing behind. */
  start(): void {
    const { dir, uuid, channels, traceName, sink } = this.options;
    const createdDir = dir !== undefined && prepareTraceDir(dir);
    const fds: number[] = [];
    const files: string[] = [];
    try {
      if (dir !== undefined) {
        this.metadataFd = claimFile(dir, 'metadata');
        fds.push(this.metadataFd);
        files.push('metadata');
        if (processState.threads === null) writeMetadataHead(this.metadataFd, uuid, traceName, registry.list());
      }
      const threads = processState.threads;
      if (threads !== null) {
        // The metadata of every thread's markers, from the shared log: to the file and the sink.
        const mainSink = sink?.main;
        this.metadataTarget = {
          fd: this.metadataFd, uuidBytes: uuidToBytes(uuid), log: threads.log, cells: new Int32Array(new SharedArrayBuffer(8 * 4)),
          ...(mainSink === undefined ? {} : { emit: (packet: Uint8Array) => postMetadata(mainSink, packet) }),
        };
        syncMetadata(this.metadataTarget, metadataHead(uuid, processEnv(traceName), CLOCK_ORIGIN_EPOCH_NS));
      }
      if (this.metadataFd >= 0) fsyncSync(this.metadataFd);
      channels.forEach((channel, index) => {
        const name = streamFileName(channel);
        const fd = dir === undefined ? -1 : claimFile(dir, name);
        if (fd >= 0) {
          fds.push(fd);
          files.push(name);
        }
        const mainSink = sink === undefined ? null : new PortPacketSink(sink.main, index, 'application thread');
        this.rings.push(ringView(channel.data, channel.ctrl, channel.subbufSize, channel.subbufCount, fd, mainSink));
      });
    } catch (error) {
      // Files created by another process (EEXIST on our first claim) are not ours to remove.
      if (dir !== undefined) removeCreated(dir, fds, files, createdDir);
      this.rings.length = 0;
      this.metadataFd = -1;
      this.metadataTarget = null;
      this.closed = true;
      if (error instanceof TracemarkError) throw error;
      throw ioError(`cannot write trace in ${this.where}: ${(error as Error).message}`, dir, error);
    }
    channels.forEach((channel, index) => {
      channel.setStreamIdentity(uuidToBytes(uuid), index);
      channel.onCommit = () => this.ring();
    });
    // The event block must be on disk before any event of a late marker can be.
    this.unsubscribe = registry.onRegister((registration) => {
      if (this.metadataTarget === null) this.appendMetadata(eventBlock(registration));
      else this.syncMetadata();
    });
    this.startDrainer();
    this.removeEndHook = onProcessEnd(() => this.finishSync(true));
    if (Atomics.wait(this.doorbell, 2, 0, DRAINER_START_TIMEOUT_MS) === 'timed-out') {
      process.emitWarning(`tracemark: the drainer thread of ${this.where} did not start within ${DRAINER_START_TIMEOUT_MS} ms; events may be lost until it does`);
    }
  }

  private syncMetadata(): void {
    if (this.closed || this.failed || this.metadataTarget === null) return;
    try {
      syncMetadata(this.metadataTarget);
    } catch (error) {
      this.fail(`cannot append metadata: ${(error as Error).message}`);
    }
  }

  /** Whether this writer sends the metadata to the sink itself (every thread's markers). */
  get sinksMetadata(): boolean {
    return this.metadataTarget !== null && this.options.sink !== undefined;
  }

  /**
   * Adds the rings of another thread (streams `<channel>_<vtid>`, in the trace directory and to
   * the sink): the drainer writes them from now on, and process exit drains them with the others.
   */
  addForeignRings(vtid: number, rings: readonly ForeignRing[]): void {
    const { dir, sink } = this.options;
    if (this.closed || this.failed || this.metadataTarget === null || (dir === undefined && sink === undefined)) return;
    for (const ring of rings) {
      const name = streamFileName(ring, vtid);
      let fd = -1;
      if (dir !== undefined) {
        try {
          fd = claimFile(dir, name);
        } catch (error) {
          this.fail(`cannot create a stream file: ${(error as Error).message}`);
          return;
        }
      }
      const sinkIndex = this.rings.length;
      // The sink learns of the stream before the drainer can hand it a packet of it.
      if (sink !== undefined) this.options.onSinkStream?.(sinkIndex, name);
      const view = ringView(ring.data, ring.ctrl, ring.subbufSize, ring.subbufCount, fd, sink === undefined ? null : new PortPacketSink(sink.main, sinkIndex, 'application thread'));
      this.rings.push(view);
      let list = this.foreignRings.get(vtid);
      if (list === undefined) this.foreignRings.set(vtid, list = []);
      list.push(view);
      let indexes = this.foreignIndexes.get(vtid);
      if (indexes === undefined) this.foreignIndexes.set(vtid, indexes = []);
      indexes.push(sinkIndex);
      this.drainerPort?.postMessage({
        data: ring.data, ctrl: ring.ctrl, subbufSize: ring.subbufSize, subbufCount: ring.subbufCount, fd,
        ...(sink === undefined ? {} : { sinkIndex }),
      });
      if (this.metadataTarget !== null) Atomics.add(this.metadataTarget.cells, FOREIGN_RINGS_CELL, 1);
    }
    this.ring();
  }

  /**
   * A thread that wrote into this trace has ended: a packet it left open (worker.terminate())
   * becomes an empty packet reporting its events as discarded. Returns the events so counted.
   */
  sealForeignRings(vtid: number): number {
    let lost = 0;
    for (const ring of this.foreignRings.get(vtid) ?? []) lost += this.sealRing(ring);
    if (lost > 0) this.ring();
    this.endSinkStreams(vtid);
    return lost;
  }

  /** The packet a thread left open in `ring`, sealed with its events counted as discarded. */
  private sealRing(ring: RingView): number {
    return sealAbandonedPacket(ring, (id) => registry.byId(id)?.fields);
  }

  /** Stream index (in the sink) of channel `channelIndex` of thread `vtid`, or -1. */
  sinkStreamOf(vtid: number, channelIndex: number): number {
    return this.foreignIndexes.get(vtid)?.[channelIndex] ?? -1;
  }

  /** Once the drainer has handed over every packet of an ended thread, its sink streams end. */
  private endSinkStreams(vtid: number): void {
    const rings = this.foreignRings.get(vtid);
    const indexes = this.foreignIndexes.get(vtid);
    const onEnd = this.options.onSinkStreamEnd;
    if (rings === undefined || indexes === undefined || onEnd === undefined) return;
    const deadline = Date.now() + FOREIGN_END_TIMEOUT_MS;
    const pending = (ring: RingView): boolean => {
      for (let i = 0; i < ring.subbufCount; i++) {
        const state = Atomics.load(ring.ctrl, CTRL.firstState + i);
        if (state === SUBBUF.committed || state === SUBBUF.draining) return true;
      }
      return false;
    };
    const check = (): void => {
      if (this.closed || this.failed) return;
      if (rings.some(pending)) {
        // Not drained (a stalled relay holds the budget): left open rather than cut short.
        if (Date.now() < deadline) setTimeout(check, FOREIGN_END_POLL_MS).unref();
        return;
      }
      for (const index of indexes) onEnd(index);
    };
    check();
  }

  /** The drainer's doorbell, rung by the other threads' rings when they commit a packet. */
  get doorbellCells(): Int32Array {
    return this.doorbell;
  }

  private appendMetadata(text: string): void {
    if (this.closed || this.failed || this.metadataFd < 0) return;
    try {
      const packet = metadataPacket(text, uuidToBytes(this.options.uuid));
      writeWhole(this.metadataFd, packet, 0, packet.length);
    } catch (error) {
      this.fail(`cannot append metadata: ${(error as Error).message}`);
    }
  }

  private startDrainer(): void {
    const ports = new MessageChannel();
    this.drainerPort = ports.port1;
    const target = this.metadataTarget;
    const worker = startOwnWorker(new URL('./drainer-worker.js', import.meta.url), {
      // Not the application's --import/--require preloads (tracemark's own among them).
      execArgv: [],
      // The OS thread's name on Node 24+ (`tracemark-drain` in /proc, top -H): its CPU can be told apart.
      name: 'tracemark-drainer',
      workerData: {
        doorbell: this.doorbell,
        faultText: this.faultText,
        channels: this.rings.map((r) => ({
          data: r.bytes.buffer, ctrl: r.ctrl, subbufSize: r.subbufSize, subbufCount: r.subbufCount, fd: r.fd,
        })),
        ...(this.options.sink === undefined ? {} : { sink: this.options.sink.drainer }),
        port: ports.port2,
        ...(target === null ? {} : { metadata: { log: target.log.buffer, fd: target.fd, uuidBytes: target.uuidBytes, cells: target.cells } }),
      },
      transferList: this.options.sink === undefined ? [ports.port2] : [this.options.sink.drainer.port, ports.port2],
    });
    this.worker = worker;
    this.workerDone = new Promise((resolve) => {
      worker.on('message', (message: { type: string; message?: string }) => {
        if (message.type === 'error') this.fail(`cannot write a stream file: ${message.message}`);
      });
      worker.on('error', (error) => {
        this.fail(`drainer thread failed: ${error.message}`);
        resolve();
      });
      worker.on('exit', () => resolve());
    });
    // After the listeners: attaching a 'message' listener refs the worker's port again. The
    // drainer must never keep the application alive; process exit drains what is left.
    worker.unref();
  }

  private ring(): void {
    Atomics.add(this.doorbell, 0, 1);
    Atomics.notify(this.doorbell, 0);
  }

  private fail(why: string): void {
    if (this.failed) return;
    this.failed = true;
    this.options.onError(ioError(`tracemark: tracing to ${this.where} stopped: ${why}`, this.options.dir));
  }

  /** A fault the drainer thread met and could not report yet (its message is still in flight). */
  private collectDrainerFault(): void {
    if (this.failed) return;
    if (!this.rings.some((ring) => Atomics.load(ring.ctrl, CTRL.error) !== 0)) return;
    this.fail(`cannot write a stream file: ${readFault(this.faultText) ?? 'write error in the drainer thread'}`);
  }

  /** Waits until every committed packet is on disk and the files are closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    Atomics.store(this.doorbell, 1, 1);
    this.ring();
    if (this.worker !== null) {
      this.worker.ref();
      await this.workerDone;
    }
    this.finishSync();
  }

  /**
   * The end of the trace, for the rings of other threads (workers) that cannot hand over their
   * packets any more: at process exit (`atExit`: the main thread called process.exit()) they
   * may still run, so they stop recording first; at close() the session stopped already and the
   * busy ones did not answer its flush in time. The packet each left open becomes an empty
   * packet that reports its events as discarded; losses they counted after their last packet
   * get a packet after the drain. Returns, per ring of another thread, the events so counted.
   */
  private sealRingsLeftOpen(atExit: boolean): Map<RingView, number> {
    const sealed = new Map<RingView, number>();
    if (this.foreignRings.size === 0) return sealed;
    if (atExit) {
      this.options.stopProducers?.();
      // An event being written as the switch flipped is done long before this pause ends.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, EXIT_PRODUCER_PAUSE_MS);
    }
    for (const rings of this.foreignRings.values()) {
      for (const ring of rings) sealed.set(ring, this.sealRing(ring));
    }
    return sealed;
  }

  /**
   * Process exit (`atExit`; the drainer may be gone or about to be) or the end of close():
   * write what the drainer has not written.
   */
  private finishSync(atExit = false): void {
    if (this.closed) return;
    this.closed = true;
    this.removeEndHook?.();
    this.unsubscribe?.();
    Atomics.store(this.doorbell, 1, 1);
    this.ring();
    this.collectDrainerFault();
    const sealed = this.failed ? null : this.sealRingsLeftOpen(atExit);
    for (const channel of this.options.channels) channel.flush();
    const target = this.metadataTarget;
    const beforePacket = target === null ? undefined : (): void => syncMetadata(target);
    this.rings.forEach((ring, index) => {
      try {
        if (this.failed) return;
        if (!drainFinal(ring, EXIT_DRAIN_TIMEOUT_MS, beforePacket)) {
          process.stderr.write(`tracemark: gave up waiting for the drainer of ${this.where}\n`);
          return;
        }
        // The drainer may have failed while we waited for its lock.
        this.collectDrainerFault();
        if (this.failed) return;
        // Losses since the last packet need a packet of their own, now that the ring has room
        // (this thread's channels; a worker flushes its own, unless it could not any more).
        if (index >= this.options.channels.length) {
          if (sealed === null) return;
          const discarded = sharedDiscarded(ring.ctrl) + (sealed.get(ring) ?? 0);
          if (appendLossPacket(ring, discarded)) drainLocked(ring, beforePacket);
          return;
        }
        this.options.channels[index].flush();
        drainLocked(ring, beforePacket);
      } catch (error) {
        this.fail(`cannot write a stream file: ${(error as Error).message}`);
      }
    });
    for (const ring of this.rings) {
      if (ring.fd < 0) continue;
      try { closeSync(ring.fd); } catch { /* already closed */ }
    }
    if (this.metadataFd >= 0) {
      try { closeSync(this.metadataFd); } catch { /* already closed */ }
    }
    this.drainerPort?.close();
  }
}
