/**
 * `node:http.server:*`: requests served by `http.Server` (channels `http.server.*`, Node 20+).
 * Node publishes no channel message for a response that never finishes (the client went away):
 * its span is closed from the response's own 'close' event (a listener that changes nothing in
 * how Node handles the response), with `error` = "aborted".
 */
import { marker } from '../../marker/index.js';
import { clockNowNs } from '../../ring/clock.js';
import { enterRequest } from './context.js';
import { channelSource, nextId, num, socketBytesWritten, str, type Tagged } from './source.js';

const START = 'http.server.request.start';
const FINISH = 'http.server.response.finish';
/**
 * Per-request state, on the request under symbols, all three set at once when it starts (one
 * hidden-class path; the span's end only writes `kId` = 0, no new property). Measured against a
 * WeakMap from the response to slots in typed arrays: the WeakMap costs more instructions per
 * request (BENCHMARKS.md, "node:* in instructions"). The response is not tagged: its close
 * listener finds the request as `response.req`.
 */
const kId = Symbol('tracemark.request.id');
const kStartNs = Symbol('tracemark.request.startNs');
const kBytes = Symbol('tracemark.request.bytes');

function declare() {
  return {
    begin: marker('node:http.server:begin', 'span_id %lu method %s url %s remote_address %s remote_port %u'),
    end: marker('node:http.server:end', 'span_id %lu status %u bytes %lu duration_ns %lu error %s'),
  };
}
let m: ReturnType<typeof declare>;

interface ServerMessage {
  request: { method?: string; url?: string };
  response: { statusCode?: number; on?: (event: string, listener: (this: unknown) => void) => unknown };
  socket: { remoteAddress?: string; remotePort?: number };
}

function onStart(message: unknown): void {
  const { request, response, socket } = message as ServerMessage;
  const id = nextId();
  const tagged = request as unknown as Tagged;
  tagged[kId] = id;
  tagged[kStartNs] = clockNowNs();
  tagged[kBytes] = socketBytesWritten(socket);
  // Before the begin event, so that a `$ctx.request == N` filter keeps the request's own begin.
  enterRequest(id);
  if (m.begin.enabled) m.begin(id, str(request.method), str(request.url), str(socket.remoteAddress), num(socket.remotePort));
  if (m.end.enabled && typeof response.on === 'function') response.on('close', onResponseClose);
}

/** Ends the span of `request` once (its id is cleared); nothing for one begun before the subscription. */
function end(request: unknown, socketBytes: number, status: number, error: string): void {
  const id = num((request as Tagged)[kId]);
  if (id === 0 || !m.end.enabled) return;
  (request as Tagged)[kId] = 0;
  m.end(id, status, socketBytes - num((request as Tagged)[kBytes]), clockNowNs() - num((request as Tagged)[kStartNs]), error);
}

/** Shared by every response (no closure per request); `this` is the response. */
function onResponseClose(this: unknown): void {
  try {
    const response = this as { req?: unknown; writableFinished?: boolean; statusCode?: number; socket?: unknown };
    // Finished responses were ended by the finish channel, which Node publishes before 'close'.
    if (response.writableFinished === true) return;
    end(response.req, socketBytesWritten(response.socket), num(response.statusCode), 'aborted');
  } catch { /* never into Node's event emitter */ }
}

function onFinish(message: unknown): void {
  const { request, response, socket } = message as ServerMessage;
  end(request, socketBytesWritten(socket), num(response.statusCode), '');
}

export const httpServer = channelSource(
  'http.server',
  ['node:http.server:begin', 'node:http.server:end'],
  () => Object.values(m = declare()),
  [[START, onStart], [FINISH, onFinish]],
);
