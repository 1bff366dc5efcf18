/**
 * `node:http.server:*`: requests served by `http.Server` (channels `http.server.*`, Node 20+).
 * Node publishes no channel message for a response that never finishes (the client went away):
 * its span is closed from the response's own 'close' event (a listener that changes nothing in
 * how Node handles the response), with `error` = "aborted".
 */
import dc from 'node:diagnostics_channel';
import { marker } from '../../marker/index.js';
import { clockNowNs } from '../../ring/clock.js';
import { enterRequest } from './context.js';
import { nextId, num, str, tagNumber, type NodeSource, type Tagged } from './source.js';

const START = 'http.server.request.start';
const FINISH = 'http.server.response.finish';
const kId = Symbol('tracemark.request.id');
const kStartNs = Symbol('tracemark.request.startNs');
const kBytes = Symbol('tracemark.request.bytes');
/** On the response: the request it answers, until its span is closed. */
const kRequest = Symbol('tracemark.response.request');
/** Set when the span of a request was closed (finish, or close before finish). */
const kEnded = Symbol('tracemark.request.ended');

function declare() {
  return {
    begin: marker('node:http.server:begin', 'span_id %lu method %s url %s remote_address %s remote_port %u'),
    end: marker('node:http.server:end', 'span_id %lu status %u bytes %lu duration_ns %lu error %s'),
  };
}
let m: ReturnType<typeof declare>;

interface ServerMessage {
  request: { method?: string; url?: string };
  response: { statusCode?: number; writableFinished?: boolean; on?: (event: string, listener: (this: unknown) => void) => unknown };
  socket: { remoteAddress?: string; remotePort?: number; bytesWritten?: number };
}

function onStart(message: unknown): void {
  const { request, response, socket } = message as ServerMessage;
  const id = nextId();
  const tagged = request as unknown as Tagged;
  tagged[kId] = id;
  tagged[kStartNs] = clockNowNs();
  tagged[kBytes] = num(socket.bytesWritten);
  // Before the begin event, so that a `$ctx.request == N` filter keeps the request's own begin.
  enterRequest(id);
  if (m.begin.enabled) m.begin(id, str(request.method), str(request.url), str(socket.remoteAddress), num(socket.remotePort));
  if (m.end.enabled && typeof response.on === 'function') {
    (response as unknown as Tagged)[kRequest] = tagged;
    response.on('close', onResponseClose);
  }
}

function end(request: Tagged, socketBytes: number, status: number, error: string): void {
  const id = tagNumber(request, kId);
  if (id === 0 || request[kEnded] === true || !m.end.enabled) return; // begun before the subscription
  request[kEnded] = true;
  m.end(id, status, socketBytes - tagNumber(request, kBytes), clockNowNs() - tagNumber(request, kStartNs), error);
}

/** Shared by every response (no closure per request); `this` is the response. */
function onResponseClose(this: unknown): void {
  try {
    const response = this as Tagged & { writableFinished?: boolean; statusCode?: number; socket?: { bytesWritten?: number } | null };
    const request = response[kRequest] as Tagged | undefined;
    if (request === undefined) return;
    response[kRequest] = undefined;
    // Finished responses were closed by the finish channel already.
    if (response.writableFinished === true) return;
    end(request, num(response.socket?.bytesWritten), num(response.statusCode), 'aborted');
  } catch { /* never into Node's event emitter */ }
}

function onFinish(message: unknown): void {
  const { request, response, socket } = message as ServerMessage;
  end(request as unknown as Tagged, num(socket.bytesWritten), num(response.statusCode), '');
}

export const httpServer: NodeSource = {
  name: 'http.server',
  names: ['node:http.server:begin', 'node:http.server:end'],
  available: () => true,
  declare() {
    m = declare();
    return Object.values(m);
  },
  start() {
    dc.subscribe(START, onStart);
    dc.subscribe(FINISH, onFinish);
  },
  stop() {
    dc.unsubscribe(START, onStart);
    dc.unsubscribe(FINISH, onFinish);
  },
};

