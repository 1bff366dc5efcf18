/**
 * The session's side of streaming to lttng-relayd: starts the sender thread, gives the trace
 * writer the sinks that feed it, forwards metadata appended at late registration and the beacon
 * ticks, and finishes the stream at close and at process exit.
 */
import { onProcessEnd } from '../exit/index.js';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { SINK_BUDGET, type PortSinkSpec } from '../ctf/packet-sink.js';
import { processEnv } from '../ctf/env.js';
import { eventBlock, metadataHead, metadataPacket, uuidToBytes } from '../ctf/metadata.js';
import { streamFileName } from '../ctf/trace-dir.js';
import { TracemarkError } from '../errors/index.js';
import { registry } from '../registry/index.js';
import type { Channel } from '../ring/channel.js';
import { CLOCK_ORIGIN_EPOCH_NS, clockNowNs } from '../ring/clock.js';
import type { ProducerConfig } from './producer.js';
import { SENDER_STATE, SENDER_STATUS, type SenderMessage } from './sender-status.js';
import { parseRelayUrl, type RelayAddress } from './url.js';
import { startOwnWorker } from '../threads/own-worker.js';

export interface RelaySenderOptions {
  url: string;
  /** Session name on the relay (live viewers attach to net://host:5344/host/<hostname>/<name>). */
  sessionName: string;
  uuid: string;
  channels: readonly Channel[];
  traceName: string;
  /** A local trace is written too: while the relay is away, its packets are dropped, not held. */
  localCopy: boolean;
  /** The live timer announced to the relay, in microseconds. */
  liveTimerUs: number;
  /**
   * The trace writer sends the metadata (from the registry log every thread shares, so that
   * markers of worker threads are in it); otherwise this thread's registry is sent from here.
   */
  writerSendsMetadata: boolean;
}

export interface RelayStats {
  url: string;
  connected: boolean;
  packetsSent: number;
  /** Packets the relay never got: dropped while it was unreachable, or refused for lack of budget. */
  packetsDropped: number;
  connections: number;
  beacons: number;
}

const CONNECT_TIMEOUT_MS = 2000;
const REPLY_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 3000;
/** The first connection attempt gets this long before start() goes on without the relay. */
const FIRST_ATTEMPT_WAIT_MS = CONNECT_TIMEOUT_MS * 2 + 2000;

/** A directory name from a process name: the relay takes it as a path. */
function pathSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'node';
}

export class RelaySender {
  readonly address: RelayAddress;
  private readonly options: RelaySenderOptions;
  /** Shared with the trace writer's drainer: the sender rings it when budget comes back. */
  readonly doorbell = new Int32Array(new SharedArrayBuffer(12));
  private readonly status = new Int32Array(new SharedArrayBuffer(SENDER_STATUS.cells * 4));
  private readonly budget = new Int32Array(new SharedArrayBuffer(SINK_BUDGET.cells * 4));
  private readonly drainerChannel = new MessageChannel();
  private readonly mainChannel = new MessageChannel();
  private worker: Worker | null = null;
  private workerExited: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;
  private finished = false;
  private removeEndHook: (() => void) | null = null;
  /** Reports connection changes (a warning when the relay goes away, a note when it is back). */
  onState: (state: 'connected' | 'disconnected', detail: string) => void = () => {};

  constructor(options: RelaySenderOptions) {
    this.options = options;
    this.address = parseRelayUrl(options.url);
  }

  /** The sinks the trace writer gives its drainer thread and its exit path. */
  sinks(): { drainer: PortSinkSpec; main: PortSinkSpec } {
    const ringBytes = this.options.channels.reduce((sum, c) => sum + c.subbufSize * c.subbufCount, 0);
    return {
      // As much again as the rings hold, in flight towards the relay.
      drainer: { port: this.drainerChannel.port1, budget: this.budget, capacityBytes: Math.min(ringBytes, 0x3fffffff) },
      // At exit nothing may be refused: the sender is the last stop.
      main: { port: this.mainChannel.port1, budget: this.budget, capacityBytes: 0x7fffffff },
    };
  }

  /**
   * Starts the sender thread and waits for its first connection attempt. Returns '' when
   * connected, else why not (the thread keeps retrying with backoff).
   */
  start(): string {
    const { options } = this;
    const env = processEnv(options.traceName);
    const uuidBytes = uuidToBytes(options.uuid);
    const config: ProducerConfig = {
      address: this.address,
      sessionName: options.sessionName,
      hostname: hostname(),
      pathname: `tracemark/${pathSafe(env.procname)}-${process.pid}`,
      streamNames: options.channels.map((channel) => streamFileName(channel)),
      liveTimerUs: options.liveTimerUs,
      producerUuid: randomBytes(16),
      dropWhileDisconnected: options.localCopy,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      replyTimeoutMs: REPLY_TIMEOUT_MS,
      backoffMinMs: 100,
      backoffMaxMs: 5000,
    };
    const worker = startOwnWorker(new URL('./sender-worker.js', import.meta.url), {
      execArgv: [],
      workerData: {
        config,
        drainerPort: this.drainerChannel.port2,
        mainPort: this.mainChannel.port2,
        budget: this.budget,
        doorbell: this.doorbell,
        status: this.status,
        closeTimeoutMs: CLOSE_TIMEOUT_MS,
      },
      transferList: [this.drainerChannel.port2, this.mainChannel.port2],
    });
    this.worker = worker;
    this.workerExited = new Promise((resolve) => {
      worker.on('exit', () => resolve());
      worker.on('error', (error) => {
        process.emitWarning(`tracemark: the relay sender thread failed: ${error.message}`);
        resolve();
      });
    });
    let firstError = '';
    const onMessage = (message: { type: string; state?: 'connected' | 'disconnected'; detail?: string; error?: string }): void => {
      if (message.type === 'first') firstError = message.error ?? '';
      else if (message.type === 'state' && message.state !== undefined) this.onState(message.state, message.detail ?? '');
    };
    this.mainChannel.port1.on('message', onMessage);
    this.mainChannel.port1.unref();
    worker.unref();

    if (!options.writerSendsMetadata) {
      // Metadata: what is registered now, then each late registration, before its first event.
      const text = metadataHead(options.uuid, env, CLOCK_ORIGIN_EPOCH_NS) + registry.list().map(eventBlock).join('');
      this.post({ type: 'metadata', b: metadataPacket(text, uuidBytes).buffer as ArrayBuffer });
      this.unsubscribe = registry.onRegister((registration) => {
        this.post({ type: 'metadata', b: metadataPacket(eventBlock(registration), uuidBytes).buffer as ArrayBuffer });
      });
    }

    const result = Atomics.wait(this.status, SENDER_STATUS.firstAttemptDone, 0, FIRST_ATTEMPT_WAIT_MS);
    if (result === 'timed-out') return `no answer from the relay daemon at ${this.address.url} within ${FIRST_ATTEMPT_WAIT_MS} ms`;
    // This thread blocked: take the thread's messages (the reason of a failure) synchronously.
    for (let m = receiveMessageOnPort(this.mainChannel.port1); m !== undefined; m = receiveMessageOnPort(this.mainChannel.port1)) {
      onMessage(m.message as Parameters<typeof onMessage>[0]);
    }
    if (Atomics.load(this.status, SENDER_STATUS.state) === SENDER_STATE.connected) return '';
    return firstError !== '' ? firstError : `cannot reach the relay daemon at ${this.address.url}`;
  }

  /** Finishes the stream at process exit, after the trace writer's last drain (register after it). */
  attachExit(): void {
    // At exit and on a signal the application does not handle (src/exit), in registration order.
    this.removeEndHook = onProcessEnd(() => this.finishSync());
  }

  private post(message: SenderMessage): void {
    if (this.finished) return;
    // Cloned, not transferred: a detached buffer in the application's thread would slow every
    // encoder of that thread (see postMetadata in src/ctf/packet-sink.ts).
    this.mainChannel.port1.postMessage(message);
  }

  /**
   * Called right after the session closed its partly filled packets: a live beacon tick for
   * each channel (the sender sends one only for streams idle since the previous tick).
   */
  tick(channels: readonly Channel[]): void {
    const ts = clockNowNs();
    channels.forEach((channel, index) => {
      if (channel.currentPacket() !== null) return;
      this.post({ type: 'beacon', c: index, ts, packets: channel.stats().packets });
    });
  }

  /** A worker thread's ring is now stream `index` (called before any of its packets is posted). */
  addStream(index: number, name: string): void {
    this.post({ type: 'stream', c: index, name });
  }

  /** That worker ended and its last packet was posted: the relay stream is closed. */
  endStream(index: number): void {
    this.post({ type: 'endStream', c: index });
  }

  /** A live beacon for stream `index`, idle at `timestampNs` after `packets` packets (a worker's). */
  beacon(index: number, timestampNs: number, packets: number): void {
    this.post({ type: 'beacon', c: index, ts: timestampNs, packets });
  }

  get connected(): boolean {
    return Atomics.load(this.status, SENDER_STATUS.state) === SENDER_STATE.connected;
  }

  stats(): RelayStats {
    const refused = Atomics.load(this.budget, SINK_BUDGET.refusedPackets);
    return {
      url: this.address.url,
      connected: this.connected,
      packetsSent: Atomics.load(this.status, SENDER_STATUS.packetsSent),
      packetsDropped: Atomics.load(this.status, SENDER_STATUS.packetsDropped) + (this.options.localCopy ? refused : 0),
      connections: Atomics.load(this.status, SENDER_STATUS.connections),
      beacons: Atomics.load(this.status, SENDER_STATUS.beacons),
    };
  }

  /** Sends what is left, closes the relay streams and the thread. Call after the writer closed. */
  async close(): Promise<void> {
    if (this.finished) return;
    this.post(this.closeMessage());
    this.finished = true;
    this.unsubscribe?.();
    this.removeEndHook?.();
    const worker = this.worker;
    if (worker === null) return;
    worker.ref();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.workerExited, new Promise<void>((resolve) => { timer = setTimeout(resolve, CLOSE_TIMEOUT_MS + 2000); })]);
    clearTimeout(timer);
    await worker.terminate();
  }

  /**
   * The writer has closed its last packets: how many each channel committed, so that the sender
   * ends each relay stream after its last packet even if that packet is still on its way from the
   * drainer thread (another port: no order between the two).
   */
  private closeMessage(): SenderMessage {
    return { type: 'close', packets: this.options.channels.map((channel) => channel.stats().packets) };
  }

  /** Stops the thread now (a session that could not start). */
  async abort(): Promise<void> {
    this.finished = true;
    this.unsubscribe?.();
    this.removeEndHook?.();
    await this.worker?.terminate();
  }

  /** Process exit: promises never settle here, so wait on the shared status. */
  private finishSync(): void {
    if (this.finished) return;
    this.post(this.closeMessage());
    this.finished = true;
    this.unsubscribe?.();
    Atomics.wait(this.status, SENDER_STATUS.closed, 0, CLOSE_TIMEOUT_MS + 1000);
  }
}

export function relayError(message: string): TracemarkError {
  return new TracemarkError('ERR_RELAY', message);
}
