import { addTargetSource, recomputeAll, recomputeMatching, removeTargetSource, type TargetSource } from '../chain/enable.js';
import type { Target } from '../chain/fire.js';
import type { TraceWriter } from '../ctf/trace-writer.js';
import { TracemarkError } from '../errors/index.js';
import { onFirstUse } from '../lazy/index.js';
import type { NodeAttachment, NodeSessionOptions } from '../integrations/node/index.js';
import { allocateRecordingCell, ensureThreadShared, privateRecordingCell, processState, recordingCellIndex } from '../process/state.js';
import type { HubSession } from '../threads/main-hub.js';
import type { RingsMessage, SessionDescriptor } from '../threads/messages.js';
import type { Registration } from '../registry/index.js';
import { Channel, type ChannelOptions, type ChannelStats } from '../ring/channel.js';
import type { RelaySender, RelayStats } from '../relay/sender.js';
import type { TraceEventLike } from './events.js';
import { addRule, compilePattern, decidingRule, type Rule } from './rules.js';
import { readsContext, ruleFilters, type FilterCallback } from './filters.js';

export type { FilterCallback } from './filters.js';

// Loaded on first use (src/lazy): a program that only declares markers never loads them.
const writerModule = onFirstUse<typeof import('../ctf/trace-writer.js')>('ctf/trace-writer.js');
const snapshotModule = onFirstUse<typeof import('../ctf/snapshot.js')>('ctf/snapshot.js');
const metadataModule = onFirstUse<typeof import('../ctf/metadata.js')>('ctf/metadata.js');
const filterModule = onFirstUse<typeof import('../filter/index.js')>('filter/index.js');
const eventsModule = onFirstUse<typeof import('./events.js')>('session/events.js');
const relayModule = onFirstUse<typeof import('../relay/sender.js')>('relay/sender.js');
const exitModule = onFirstUse<typeof import('../exit/index.js')>('exit/index.js');
const nodeModule = onFirstUse<typeof import('../integrations/node/index.js')>('integrations/node/index.js');
const hubModule = onFirstUse<typeof import('../threads/main-hub.js')>('threads/main-hub.js');
const relayUrlModule = onFirstUse<typeof import('../relay/url.js')>('relay/url.js');

export interface SessionOptions {
  /** Channels besides `default` (which always exists; give it options by naming it here). */
  channels?: Record<string, ChannelOptions>;
  /** Directory to write a CTF 1.8 trace into while recording. Without it, events stay in memory. */
  output?: string;
  /** Trace name written in the metadata. */
  name?: string;
  /** Closes a partly filled packet after this many ms, so that readers see slow streams. 0: never. */
  flushIntervalMs?: number;
  /**
   * Streams the trace to LTTng's relay daemon, `net://host[:ctrl[:data]]` (docs/relay.md), as a
   * relay session named `name`. With `output` too, both get every packet.
   */
  relay?: string;
  /** Options of the `node:*` markers (docs/node.md): event-loop sampling, request context. */
  node?: NodeSessionOptions;
}

/** Live viewers should see an event within a second: close packets at least this often. */
const RELAY_FLUSH_INTERVAL_MS = 500;

export interface EnableOptions {
  channel?: string;
  /** A filter expression (`len > 100 && proto == "tcp"`) or a predicate over the argument values. */
  filter?: string | ((values: unknown[]) => boolean);
}

export interface SessionStats {
  recording: boolean;
  channels: Record<string, ChannelStats>;
  /** Present when the session streams to a relay daemon. */
  relay?: RelayStats;
}

/**
 * A recording session: rules that enable markers, channels (ring buffers) they write to, and an
 * optional trace directory.
 * @example
 * const session = new Session({ output: './trace' });
 * session.enable('net:*', { filter: 'len > 100' });
 * session.start();
 * // ... run the code
 * await session.close();
 */
/** How long close() waits for busy workers to hand over their partly filled packets. */
const WORKER_FLUSH_TIMEOUT_MS = 2000;

export class Session implements TargetSource, HubSession {
  readonly name: string;
  readonly output: string | undefined;
  private readonly channelMap = new Map<string, Channel>();
  private readonly rules: Rule[] = [];
  private readonly filterCallbacks: FilterCallback[] = [];
  /** Made at the first start(): node:crypto is not loaded before something is recorded. */
  private identity: string | null = null;
  /**
   * The recording switch that fire functions read (`[0] === 1`), in this thread and in workers:
   * a cell of its own until the session is shared with workers, then a cell of the shared ones.
   */
  private recordingCell: Int32Array = privateRecordingCell();
  private sharedWithWorkers = false;
  private writer: TraceWriter | null = null;
  private relay: RelaySender | null = null;
  /** The relay daemon the session streams to (`relay` option). */
  readonly relayUrl: string | undefined;
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly flushIntervalMs: number;
  /** The session's own view of its switch (recordingCell is what the markers read). */
  private readonly state = { recording: false };
  private closed = false;
  private registered = false;
  private readonly nodeOptions: NodeSessionOptions;
  /** Held while recording: the `node:*` markers' view of this session. */
  private node: NodeAttachment | null = null;
  /** Set when writing failed: the reason, already reported once. */
  error: TracemarkError | null = null;

  constructor(options: SessionOptions = {}) {
    const number = ++processState.sessionCounter.count;
    this.name = options.name ?? `session-${process.pid}-${number}`;
    this.output = options.output;
    this.relayUrl = options.relay;
    if (this.relayUrl !== undefined) relayUrlModule().parseRelayUrl(this.relayUrl);
    this.flushIntervalMs = options.flushIntervalMs ?? (this.relayUrl === undefined ? 0 : RELAY_FLUSH_INTERVAL_MS);
    // The node:* integration loads at the first start(), or here to check its options.
    this.nodeOptions = options.node === undefined ? {} : nodeModule().checkNodeSessionOptions(options.node);
    const channels = { default: {}, ...(options.channels ?? {}) };
    for (const [name, channelOptions] of Object.entries(channels)) {
      this.channelMap.set(name, new Channel(name, channelOptions));
    }
  }

  /** Read by every enabled marker: the session's switch in the enable chain. */
  get recording(): boolean {
    return this.state.recording;
  }

  channel(name: string): Channel {
    const channel = this.channelMap.get(name);
    if (channel === undefined) {
      throw new TracemarkError('ERR_CHANNEL', `session ${this.name} has no channel ${JSON.stringify(name)}; channels: ${[...this.channelMap.keys()].join(', ')}`);
    }
    return channel;
  }

  get channels(): readonly Channel[] {
    return [...this.channelMap.values()];
  }

  /** Enables the markers whose name matches `pattern` (`*` globs), in `channel` (default `default`). */
  enable(pattern: string, options: EnableOptions = {}): this {
    this.assertOpen();
    const channel = options.channel ?? 'default';
    this.channel(channel);
    const given = options.filter;
    if (given !== undefined && typeof given !== 'string' && typeof given !== 'function') {
      throw new TracemarkError('ERR_INVALID_ARG', 'filter must be an expression string or a function');
    }
    // Parsed now, so that a syntax error is reported here, with its position.
    const filter = typeof given === 'string' ? filterModule().parseFilter(given) : given;
    this.addRule({ pattern, matcher: compilePattern(pattern), on: true, channel, filter });
    this.node?.rulesChanged(this.usesRequestContext());
    return this;
  }

  /** Disables the markers whose name matches `pattern`, in one channel or (by default) all. */
  disable(pattern: string, options: { channel?: string } = {}): this {
    this.assertOpen();
    if (options.channel !== undefined) this.channel(options.channel);
    this.addRule({ pattern, matcher: compilePattern(pattern), on: false, channel: options.channel, filter: undefined });
    return this;
  }

  /**
   * Adds a filter callback: it sees the marker and its argument values (an array reused between
   * events: copy what you keep) and returns true to keep the event. An exception drops the event
   * and is counted. Returns a function that removes the filter.
   */
  addFilter(callback: FilterCallback): () => void {
    if (typeof callback !== 'function') throw new TracemarkError('ERR_INVALID_ARG', 'addFilter takes a function');
    this.filterCallbacks.push(callback);
    this.changed();
    let added = true;
    return () => {
      if (!added) return;
      added = false;
      this.filterCallbacks.splice(this.filterCallbacks.indexOf(callback), 1);
      this.changed();
    };
  }

  /**
   * Turns every rule of the session on at once. Throws ERR_TRACE_IO when the trace cannot be
   * created (nothing is recorded then; start() may be called again), and ERR_SESSION_STATE once
   * writing has failed (`session.error`): a trace with a hole is never continued silently.
   */
  start(): this {
    this.assertOpen();
    if (this.state.recording) return this;
    if (this.error !== null) {
      throw new TracemarkError('ERR_SESSION_STATE', `session ${this.name} cannot record again: ${this.error.message}`, { cause: this.error });
    }
    // Packets are opened by recorded events only, so every packet gets this identity.
    const uuid = this.identity ??= this.newIdentity();
    // Before the writer: its metadata then comes from the registry every thread shares.
    if (this.output !== undefined || this.relayUrl !== undefined) ensureThreadShared();
    const relay = this.relayUrl !== undefined && this.relay === null ? this.startRelay(this.relayUrl, uuid) : null;
    if ((this.output !== undefined || relay !== null) && this.writer === null) {
      this.writer = new (writerModule().TraceWriter)({
        ...(this.output === undefined ? {} : { dir: this.output }),
        uuid,
        channels: this.channels,
        traceName: this.name,
        onError: (error) => this.fail(error),
        stopProducers: () => Atomics.store(this.recordingCell, 0, 0),
        ...(relay === null ? {} : {
          sink: relay.sinks(), doorbell: relay.doorbell,
          onSinkStream: (index: number, name: string) => relay.addStream(index, name),
          onSinkStreamEnd: (index: number) => relay.endStream(index),
        }),
      });
      try {
        this.writer.start();
      } catch (error) {
        this.writer = null;
        if (relay !== null) void relay.abort();
        throw error;
      }
      // After the writer's own exit hook: the last packets it drains go to the relay first.
      if (relay !== null) relay.attachExit();
      this.relay = relay;
    }
    this.state.recording = true;
    this.shareWithWorkers();
    Atomics.store(this.recordingCell, 0, 1);
    if (this.flushIntervalMs > 0 && this.flushTimer === null) {
      this.flushTimer = setInterval(() => {
        for (const c of this.channelMap.values()) c.flush();
        this.relay?.tick(this.channels);
      }, this.flushIntervalMs);
      this.flushTimer.unref();
    }
    // Declares the node:* markers that the rules match, before the rules are matched against them.
    this.node ??= nodeModule().attachNodeSession(this.nodeOptions, this.usesRequestContext(), (name) => this.ruleEnables(name));
    if (!this.registered) {
      this.registered = true;
      addTargetSource(this);
    } else {
      recomputeAll();
    }
    return this;
  }

  private startRelay(url: string, uuid: string): RelaySender {
    const relay = new (relayModule().RelaySender)({
      url,
      sessionName: this.name,
      uuid,
      channels: this.channels,
      traceName: this.name,
      localCopy: this.output !== undefined,
      liveTimerUs: Math.max(this.flushIntervalMs, 1) * 1000,
      // The writer then has the registry log of every thread (see start()).
      writerSendsMetadata: processState.threads !== null,
    });
    const why = relay.start();
    if (why !== '') {
      if (this.output === undefined) {
        void relay.abort();
        throw new TracemarkError('ERR_RELAY', `tracemark: session ${this.name}: ${why}`);
      }
      process.emitWarning(`tracemark: session ${this.name}: ${why}; recording into ${this.output}, and retrying the relay in the background`, { code: 'ERR_RELAY' });
    }
    relay.onState = (state, detail) => {
      if (state === 'disconnected') process.emitWarning(`tracemark: session ${this.name}: lost the relay daemon at ${url} (${detail}); reconnecting`, { code: 'ERR_RELAY' });
    };
    return relay;
  }

  /** Stops recording and closes the partly filled sub-buffers, so that their events can be read. */
  stop(): this {
    if (!this.state.recording) return this;
    // ?.(): the integration may be that of an older copy of tracemark, without flush.
    this.node?.flush?.();
    this.state.recording = false;
    Atomics.store(this.recordingCell, 0, 0);
    recomputeAll();
    this.detachNode();
    for (const channel of this.channelMap.values()) channel.flush();
    if (this.sharedWithWorkers) void hubModule().mainHub()?.flush(this.uuid, 0);
    return this;
  }

  /** Stops, and resolves once everything recorded is on disk. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stop();
    this.closed = true;
    if (this.flushTimer !== null) clearInterval(this.flushTimer);
    if (this.registered) removeTargetSource(this);
    if (this.sharedWithWorkers) {
      const hub = hubModule().mainHub();
      await hub?.flush(this.uuid, WORKER_FLUSH_TIMEOUT_MS);
      hub?.remove(this);
    }
    await this.writer?.close();
    await this.relay?.close();
  }

  /** Writes what the buffers hold as a complete trace in `dir` (flight recorder). */
  async snapshot(dir: string): Promise<string> {
    return snapshotModule().writeSnapshot(dir, this.channels, this.name);
  }

  /** The same, synchronously: for `process.on('exit')` handlers, where promises never settle. */
  snapshotSync(dir: string): string {
    return snapshotModule().writeSnapshotSync(dir, this.channels, this.name);
  }

  /** The decoded events held in the buffers, oldest first (not removed). */
  events(): TraceEventLike[] {
    return eventsModule().decodeEvents(this.channels);
  }

  stats(): SessionStats {
    const channels: Record<string, ChannelStats> = {};
    for (const [name, channel] of this.channelMap) channels[name] = channel.stats();
    return { recording: this.state.recording, channels, ...(this.relay === null ? {} : { relay: this.relay.stats() }) };
  }

  targetsFor(registration: Registration): Target[] {
    if (!this.state.recording) return [];
    const targets: Target[] = [];
    for (const channel of this.channelMap.values()) {
      const rule = decidingRule(this.rules, registration.name, channel.name);
      if (rule === undefined || !rule.on) continue;
      const filters = ruleFilters(registration, rule, this.filterCallbacks);
      if (filters === null) continue;
      targets.push({ recording: this.recordingCell, channel, ...filters });
    }
    return targets;
  }

  private newIdentity(): string {
    const uuid = process.getBuiltinModule('node:crypto').randomUUID();
    const bytes = metadataModule().uuidToBytes(uuid);
    let index = 0;
    for (const channel of this.channelMap.values()) channel.setStreamIdentity(bytes, index++);
    return uuid;
  }

  /** Whether some rule's filter reads `$ctx.request` (which needs the request context on). */
  private usesRequestContext(): boolean {
    return this.rules.some((rule) => typeof rule.filter === 'object' && readsContext(rule.filter.ast, 'request'));
  }

  private ruleEnables(name: string): boolean {
    for (const channel of this.channelMap.keys()) {
      if (decidingRule(this.rules, name, channel)?.on === true) return true;
    }
    return false;
  }

  private detachNode(): void {
    this.node?.detach();
    this.node = null;
  }

  /** The session's identity in its trace (made at the first start()). */
  get uuid(): string {
    return this.identity ?? '';
  }

  private changed(): void {
    if (this.state.recording) recomputeAll();
    if (this.sharedWithWorkers) hubModule().mainHub()?.publish();
  }

  /**
   * Worker threads record into this session too (a trace directory or a relay): they get its rules
   * and its recording switch, and hand back their rings (docs/api.md, "Worker threads").
   */
  private shareWithWorkers(): void {
    if (this.writer === null) return;
    const hub = hubModule().mainHub();
    if (hub === null) return;
    // Before the targets are made (start() recomputes after this): they read the shared cell.
    if (recordingCellIndex(this.recordingCell) < 0) {
      const shared = allocateRecordingCell();
      if (shared === null) return;
      this.recordingCell = shared;
    }
    if (!this.sharedWithWorkers) {
      this.sharedWithWorkers = true;
      hub.add(this);
    }
  }

  /** What workers need to record into this session (src/threads/messages.ts). */
  describe(): SessionDescriptor {
    const { printFilter } = filterModule();
    return {
      uuid: this.uuid,
      recordingCell: recordingCellIndex(this.recordingCell),
      channels: this.channels.map((c, index) => ({ name: c.name, index, subbufSize: c.subbufSize, subbufCount: c.subbufCount, mode: c.mode })),
      rules: this.rules.map((r) => ({
        pattern: r.pattern,
        on: r.on,
        channel: r.channel ?? null,
        filter: r.filter === undefined ? null : typeof r.filter === 'function' ? { function: true } : printFilter(r.filter),
      })),
      callbacks: this.filterCallbacks.length > 0,
      doorbell: this.writer!.doorbellCells.buffer as SharedArrayBuffer,
      // A relay's live viewers need each thread's events within the live timer.
      flushIntervalMs: this.relay === null ? 0 : this.flushIntervalMs,
    };
  }

  /** A worker that wrote into this session ended: what it left open is counted as lost. */
  threadEnded(vtid: number): void {
    if (this.closed || this.writer === null) return;
    this.writer.sealForeignRings(vtid);
  }

  /** A worker's channels are idle (nothing open) at `timestampNs`: live beacons for its relay streams. */
  foreignIdle(vtid: number, idle: readonly { index: number; packets: number }[], timestampNs: number): void {
    const writer = this.writer;
    const relay = this.relay;
    if (this.closed || writer === null || relay === null) return;
    for (const { index, packets } of idle) {
      const stream = writer.sinkStreamOf(vtid, index);
      if (stream >= 0) relay.beacon(stream, timestampNs, packets);
    }
  }

  /** Rings of a worker thread, announced by it: written as streams `<channel>_<vtid>`. */
  adoptRings(message: RingsMessage): void {
    if (this.closed || this.writer === null) return;
    this.writer.addForeignRings(message.vtid, message.channels);
  }

  /** Only the markers the rule's pattern matches can change their decision. */
  private addRule(rule: Rule): void {
    addRule(this.rules, rule);
    if (this.state.recording) recomputeMatching(rule.matcher);
    if (this.sharedWithWorkers) hubModule().mainHub()?.publish();
  }

  private fail(error: TracemarkError): void {
    if (this.error !== null) return;
    this.error = error;
    this.state.recording = false;
    Atomics.store(this.recordingCell, 0, 0);
    recomputeAll();
    this.detachNode();
    exitModule().warnNow(error.message, error.code);
  }

  private assertOpen(): void {
    if (this.closed) throw new TracemarkError('ERR_SESSION_STATE', `session ${this.name} is closed`);
  }
}
