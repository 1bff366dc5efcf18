/**
 * A producer session on the relay daemon, as LTTng's consumer daemon runs one: creates the session
 * (host name, session name), its trace chunk, a metadata stream and one stream per channel, sends
 * the metadata, then each packet (data connection) with its index (control connection), and live
 * beacons for idle streams. Reconnects with backoff when the relay goes away; each connection is
 * a new session on the relay. Runs in the sender thread, never on the application's thread.
 */
import {
  addStreamMessage, beaconMessage, createSessionMessage, createTraceChunkMessage,
  dataHeader, parseAddStreamReply, LTTNG_OK, REPLY_BYTES, sendIndexMessage,
  sendMetadataMessage, streamsSentMessage, packetIndexOf,
} from './protocol.js';
import { PACKET, readU64 } from '../ring/layout.js';
import { RelayConnection } from './connection.js';
import { endRelayStream, endRelayStreams, type StreamState } from './session-end.js';
import type { RelayAddress } from './url.js';

export interface ProducerConfig {
  address: RelayAddress;
  sessionName: string;
  hostname: string;
  /** Directory of this process's streams inside the relay session (`tracemark/<procname>-<pid>`). */
  pathname: string;
  /** Stream file names, one per channel (`default_0`); streams of worker threads are added later. */
  streamNames: readonly string[];
  liveTimerUs: number;
  /** 16 random bytes: identifies this process to the relay as a session daemon's UUID does. */
  producerUuid: Uint8Array;
  /**
   * True when a local trace is written too: packets that arrive while the relay is unreachable are
   * dropped at once (the relay's copy has a gap in packet_seq_num, which readers report as
   * discarded packets). False: they wait, the ring fills, and the tracer counts discarded events.
   */
  dropWhileDisconnected: boolean;
  connectTimeoutMs: number;
  replyTimeoutMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
}

export interface ProducerEvents {
  /** Connection state changes, for the session's stats and warnings. */
  onState(state: 'connected' | 'disconnected', detail: string): void;
  /** Called before the metadata is sent on a new connection: take in what was posted meanwhile. */
  sync(): void;
}

export interface QueuedPacket {
  channel: number;
  bytes: Uint8Array;
  /** Gives the bytes back to the drainer's budget; called once, when written or dropped. */
  release: () => void;
}

export interface ProducerCounters {
  packetsSent: number;
  packetsDropped: number;
  bytesSent: number;
  connections: number;
  beacons: number;
}

function epochSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export class RelayProducer {
  private readonly config: ProducerConfig;
  private readonly events: ProducerEvents;
  private readonly metadata: Uint8Array[] = [];
  private readonly queue: QueuedPacket[] = [];
  private connection: RelayConnection | null = null;
  /** Releases of packets written to the current connection whose write has not completed. */
  private readonly inflight = new Set<() => void>();
  /** Relay streams of the current connection, by stream index (undefined: not added yet). */
  private streams: (StreamState | undefined)[] = [];
  /** Stream names by index: the channels of this thread first, then those of worker threads. */
  private readonly streamNames: string[];
  /** Streams closed for good (their thread ended): never added again, their packets dropped. */
  private readonly closedStreams = new Set<number>();
  private ready = false;
  /** Streams whose ADD_STREAM is in flight on the current connection: their packets wait. */
  private readonly pendingStreams = new Set<number>();
  private pathname = '';
  /** How many of `metadata` the current connection has been sent. */
  private metadataSent = 0;
  private metadataHandle = 0n;
  /** packet_seq_num of the last packet handled (sent or dropped) per channel; -1: none yet. */
  private readonly lastSeq: number[];
  private readonly activeSinceBeacon: boolean[];
  private epoch = 0;
  private closing = false;
  private closed = false;
  /** The streams have been rotated out of their trace chunk: a later packet would be a protocol error. */
  private rotated = false;
  /** Wakes close() when a packet was handled. */
  private onHandled: (() => void) | null = null;
  private backoffMs: number;
  private retryTimer: NodeJS.Timeout | null = null;
  private connecting: Promise<void> | null = null;
  readonly counters: ProducerCounters = { packetsSent: 0, packetsDropped: 0, bytesSent: 0, connections: 0, beacons: 0 };
  lastError = '';

  constructor(config: ProducerConfig, events: ProducerEvents) {
    this.config = config;
    this.events = events;
    this.backoffMs = config.backoffMinMs;
    this.streamNames = [...config.streamNames];
    this.lastSeq = config.streamNames.map(() => -1);
    this.activeSinceBeacon = config.streamNames.map(() => false);
  }

  get connected(): boolean {
    return this.connection !== null && !this.connection.closed && this.ready;
  }

  /** First attempt; resolves with the error text, or '' once connected. Retries go on by themselves. */
  async start(): Promise<string> {
    await this.connect();
    return this.connected ? '' : this.lastError;
  }

  addMetadata(packet: Uint8Array): void {
    this.metadata.push(packet);
    this.sendMetadata();
  }

  private sendMetadata(): void {
    const connection = this.connection;
    if (!this.connected || connection === null || this.metadataSent === this.metadata.length) return;
    const packets = this.metadata.slice(this.metadataSent);
    this.metadataSent = this.metadata.length;
    connection.post(sendMetadataMessage(this.metadataHandle, packets.length === 1 ? packets[0] : Buffer.concat(packets)));
  }

  /**
   * A stream created after the session started (a worker thread's ring): on a live connection,
   * ADD_STREAM then STREAMS_SENT again, as LTTng's consumer does for a stream of a new
   * application; its packets wait until the relay has given it a handle.
   */
  addStream(index: number, name: string): void {
    if (this.closed || this.streamNames[index] !== undefined) return;
    this.streamNames[index] = name;
    this.lastSeq[index] = -1;
    this.activeSinceBeacon[index] = false;
    const connection = this.connection;
    if (this.connected && connection !== null) void this.addLiveStream(connection, index, name);
  }

  private async addLiveStream(connection: RelayConnection, index: number, name: string): Promise<void> {
    this.pendingStreams.add(index);
    try {
      const handle = await this.requestStream(connection, name, this.pathname);
      await connection.command(streamsSentMessage(), 'the end of the stream list');
      if (this.connection !== connection) return;
      this.pendingStreams.delete(index);
      this.streams[index] = { handle, nextNetSeq: 0n, lastPacketSeq: -1n };
      // What waited for the handle first; a thread that ended meanwhile: its close after that.
      this.pump();
      if (this.closedStreams.has(index)) this.sendClose(connection, index);
    } catch (error) {
      // A refusal or a lost connection: the connection is no use any more; reconnect and add all.
      if (this.connection === connection) {
        this.lastError = (error as Error).message;
        connection.destroy();
      }
    }
  }

  /**
   * The thread of stream `index` ended and its last packet was handed over: CLOSE_STREAM with
   * its last sequence number (a live viewer then sees the stream hang up instead of waiting).
   */
  closeStream(index: number): void {
    if (this.closedStreams.has(index) || this.streamNames[index] === undefined) return;
    this.closedStreams.add(index);
    const connection = this.connection;
    if (!this.connected || connection === null) return;
    this.pump();
    if (this.streams[index] !== undefined) this.sendClose(connection, index);
  }

  /** A stream that ends before the session (a worker thread's): rotated out, then closed. */
  private sendClose(connection: RelayConnection, index: number): void {
    const stream = this.streams[index];
    if (stream === undefined) return;
    this.streams[index] = undefined;
    void endRelayStream(connection, stream).catch(() => {});
  }

  private requestStream(connection: RelayConnection, name: string, pathname: string): Promise<bigint> {
    return connection.request(addStreamMessage(name, pathname, 0), REPLY_BYTES.addStream).then((bytes) => {
      const reply = parseAddStreamReply(bytes);
      if (reply.retCode !== LTTNG_OK) throw new Error(`the relay daemon refused stream ${name} (code ${reply.retCode})`);
      return reply.handle;
    });
  }

  enqueue(packet: QueuedPacket): void {
    if (this.closed || (!this.connected && this.config.dropWhileDisconnected)) {
      this.drop(packet);
      return;
    }
    this.queue.push(packet);
    this.pump();
  }

  /**
   * After the session closed every partly filled packet at `timestampNs` with `packetsCommitted`
   * packets so far: tells live viewers that an idle stream has nothing before that time. Sent only
   * once every packet committed before is handled, so that it never overtakes one of them.
   */
  beacon(channel: number, timestampNs: number, packetsCommitted: number): void {
    const active = this.activeSinceBeacon[channel];
    this.activeSinceBeacon[channel] = false;
    const stream = this.streams[channel];
    const connection = this.connection;
    if (active || !this.connected || connection === null || stream === undefined) return;
    if (packetsCommitted === 0 || this.lastSeq[channel] < packetsCommitted - 1) return;
    this.counters.beacons++;
    connection.command(beaconMessage(stream.handle, stream.nextNetSeq - 1n, timestampNs, 0), 'a live beacon').catch(() => {});
  }

  private drop(packet: QueuedPacket): void {
    this.counters.packetsDropped++;
    this.noteHandled(packet);
    packet.release();
  }

  private noteHandled(packet: QueuedPacket): void {
    const view = new DataView(packet.bytes.buffer, packet.bytes.byteOffset, packet.bytes.byteLength);
    this.lastSeq[packet.channel] = readU64(view, PACKET.seqNumOffsetBytes);
    this.onHandled?.();
  }

  /** Until the packet numbered `committed[c] - 1` of each channel is handled, at most `timeoutMs`. */
  private async lastPacketsHandled(committed: readonly number[], timeoutMs: number): Promise<void> {
    const done = (): boolean => committed.every((packets, channel) => packets === 0 || this.lastSeq[channel] >= packets - 1);
    const deadline = Date.now() + timeoutMs;
    while (!done() && this.connected && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.onHandled = () => { clearTimeout(timer); resolve(); };
      });
      this.onHandled = null;
    }
  }

  private pump(): void {
    const connection = this.connection;
    if (!this.connected || connection === null) return;
    let waiting: QueuedPacket[] | null = null;
    for (const packet of this.queue.splice(0)) {
      const stream = this.streams[packet.channel];
      if (this.rotated) {
        // After the end-of-chunk rotation the relay would refuse it and drop the connection.
        this.drop(packet);
        continue;
      }
      if (stream === undefined) {
        // One being added, or not announced yet (its 'stream' message can come after a packet
        // the drainer posted), keeps its packets, in order; one closed for good takes no more.
        if (this.closedStreams.has(packet.channel) && !this.pendingStreams.has(packet.channel)) this.drop(packet);
        else (waiting ??= []).push(packet);
        continue;
      }
      const netSeq = stream.nextNetSeq++;
      const length = packet.bytes.byteLength;
      connection.data.write(dataHeader(stream.handle, netSeq, length));
      const release = (): void => {
        if (!this.inflight.delete(release)) return;
        packet.release();
      };
      this.inflight.add(release);
      connection.data.write(packet.bytes, release);
      connection.command(sendIndexMessage(stream.handle, netSeq, packetIndexOf(packet.bytes)), 'a packet index').catch(() => {});
      this.counters.packetsSent++;
      this.counters.bytesSent += length;
      this.activeSinceBeacon[packet.channel] = true;
      this.noteHandled(packet);
      stream.lastPacketSeq = BigInt(this.lastSeq[packet.channel]);
    }
    if (waiting !== null) this.queue.unshift(...waiting);
  }

  private connect(): Promise<void> {
    if (this.connecting !== null) return this.connecting;
    this.connecting = this.establish().finally(() => { this.connecting = null; });
    return this.connecting;
  }

  private async establish(): Promise<void> {
    const config = this.config;
    let connection: RelayConnection | null = null;
    try {
      connection = await RelayConnection.open(config.address, { connectTimeoutMs: config.connectTimeoutMs, replyTimeoutMs: config.replyTimeoutMs });
      if (this.closing) { connection.destroy(); return; }
      this.epoch++;
      const creationTimeS = epochSeconds();
      await connection.createSession(createSessionMessage({
        sessionName: config.sessionName,
        hostname: config.hostname,
        liveTimerUs: config.liveTimerUs,
        producerUuid: config.producerUuid,
        sessionId: this.epoch,
        creationTimeS,
      }));
      await connection.command(createTraceChunkMessage(0, creationTimeS), 'to create the trace chunk');
      // A new relay session after a reconnection: its own directory, so nothing is overwritten.
      const pathname = this.epoch === 1 ? config.pathname : `${config.pathname}-${this.epoch}`;
      const metadataHandle = await this.requestStream(connection, 'metadata', pathname);
      this.events.sync();
      const streams: (StreamState | undefined)[] = [];
      for (const [index, name] of this.streamNames.entries()) {
        if (name === undefined || this.closedStreams.has(index)) continue;
        streams[index] = { handle: await this.requestStream(connection, name, pathname), nextNetSeq: 0n, lastPacketSeq: -1n };
      }
      // Every stream known by now was added above: none may be added twice on this connection.
      const known = this.streamNames.length;
      if (this.metadata.length > 0) connection.post(sendMetadataMessage(metadataHandle, Buffer.concat(this.metadata)));
      this.metadataSent = this.metadata.length;
      await connection.command(streamsSentMessage(), 'the end of the stream list');
      this.connection = connection;
      this.metadataHandle = metadataHandle;
      this.streams = streams;
      this.pathname = pathname;
      this.ready = true;
      this.counters.connections++;
      this.backoffMs = config.backoffMinMs;
      this.lastError = '';
      connection.onClose((error) => this.onLost(connection as RelayConnection, error));
      this.events.onState('connected', `${config.address.url}, session ${config.sessionName}`);
      // Metadata and streams that came while the stream list was being sent.
      this.sendMetadata();
      for (let index = known; index < this.streamNames.length; index++) {
        const name = this.streamNames[index];
        if (name !== undefined && !this.closedStreams.has(index)) void this.addLiveStream(connection, index, name);
      }
      this.pump();
    } catch (error) {
      connection?.destroy();
      this.lastError = (error as Error).message;
      this.scheduleRetry();
    }
  }

  private onLost(connection: RelayConnection, error: Error): void {
    if (this.connection !== connection) return;
    this.connection = null;
    this.streams = [];
    this.pendingStreams.clear();
    this.ready = false;
    for (const release of [...this.inflight]) release();
    if (this.closing) return;
    this.lastError = error.message;
    this.events.onState('disconnected', error.message);
    if (this.config.dropWhileDisconnected) for (const packet of this.queue.splice(0)) this.drop(packet);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closing || this.retryTimer !== null) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.config.backoffMaxMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
  }

  /** Sends what is queued, closes the streams (last sequence numbers), then the sockets. */
  async close(timeoutMs: number, packetsCommitted: readonly number[] = []): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const connection = this.connection;
    const finish = async (): Promise<void> => {
      if (this.connected && connection !== null) {
        this.pump();
        // The drainer thread may still be handing over the last packets (its port and the main
        // thread's are not ordered): the rotation goes after them.
        await this.lastPacketsHandled(packetsCommitted, Math.min(1000, timeoutMs / 2));
        this.pump();
        this.rotated = true;
        await endRelayStreams(connection, this.streams.filter((stream) => stream !== undefined), this.metadataHandle);
      }
    };
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finish(), new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); })]);
    clearTimeout(timer);
    this.closed = true;
    connection?.destroy();
    for (const release of [...this.inflight]) release();
    for (const packet of this.queue.splice(0)) this.drop(packet);
  }
}
