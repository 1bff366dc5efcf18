/** `node:http.server:*`: requests served by `http.Server` (channels `http.server.*`, Node 20+). */
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

function declare() {
  return {
    begin: marker('node:http.server:begin', 'span_id %lu method %s url %s remote_address %s remote_port %u'),
    end: marker('node:http.server:end', 'span_id %lu status %u bytes %lu duration_ns %lu'),
  };
}
let m: ReturnType<typeof declare>;

interface ServerMessage {
  request: { method?: string; url?: string };
  response: { statusCode?: number };
  socket: { remoteAddress?: string; remotePort?: number; bytesWritten?: number };
}

function onStart(message: unknown): void {
  const { request, socket } = message as ServerMessage;
  const id = nextId();
  const tagged = request as unknown as Tagged;
  tagged[kId] = id;
  tagged[kStartNs] = clockNowNs();
  tagged[kBytes] = num(socket.bytesWritten);
  // Before the begin event, so that a `$ctx.request == N` filter keeps the request's own begin.
  enterRequest(id);
  if (m.begin.enabled) m.begin(id, str(request.method), str(request.url), str(socket.remoteAddress), num(socket.remotePort));
}

function onFinish(message: unknown): void {
  const { request, response, socket } = message as ServerMessage;
  const id = tagNumber(request, kId);
  if (id === 0 || !m.end.enabled) return; // begun before the subscription
  const bytes = num(socket.bytesWritten) - tagNumber(request, kBytes);
  m.end(id, num(response.statusCode), bytes, clockNowNs() - tagNumber(request, kStartNs));
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

