/** `node:http.client:*`: requests made with `http.request`/`http.get` (channels `http.client.*`, Node 20+). */
import { marker } from '../../marker/index.js';
import { clockNowNs } from '../../ring/clock.js';
import { currentRequest } from './context.js';
import { channelSource, emitError, nextId, num, str, type Tagged } from './source.js';

const START = 'http.client.request.start';
const FINISH = 'http.client.response.finish';
const ERROR = 'http.client.request.error';
const kId = Symbol('tracemark.client.id');
const kStartNs = Symbol('tracemark.client.startNs');

function declare() {
  return {
    begin: marker('node:http.client:begin', 'span_id %lu parent %lu method %s host %s path %s'),
    end: marker('node:http.client:end', 'span_id %lu status %u duration_ns %lu'),
    error: marker('node:http.client:error', 'span_id %lu name %s code %s message %s duration_ns %lu'),
  };
}
let m: ReturnType<typeof declare>;

interface ClientRequestLike {
  method?: string;
  path?: string;
  host?: string;
  getHeader?(name: string): unknown;
}

function hostOf(request: ClientRequestLike): string {
  // The Host header carries the port; `request.host` does not.
  try {
    const header = typeof request.getHeader === 'function' ? request.getHeader('host') : undefined;
    return str(header) || str(request.host);
  } catch {
    return str(request.host);
  }
}

function onStart(message: unknown): void {
  const { request } = message as { request: ClientRequestLike };
  const id = nextId();
  (request as Tagged)[kId] = id;
  (request as Tagged)[kStartNs] = clockNowNs();
  if (m.begin.enabled) m.begin(id, currentRequest(), str(request.method), hostOf(request), str(request.path));
}

/** Ends the span once: an error after the response (or a second error) is not a second end. */
function end(request: unknown, status: number, durationNs: number): void {
  const id = num((request as Tagged)[kId]);
  if (id === 0) return;
  (request as Tagged)[kId] = 0;
  m.end(id, status, durationNs);
}

function onFinish(message: unknown): void {
  const { request, response } = message as { request: unknown; response: { statusCode?: number } };
  end(request, num(response.statusCode), clockNowNs() - num((request as Tagged)[kStartNs]));
}

function onError(message: unknown): void {
  const { request, error } = message as { request: unknown; error: unknown };
  const id = num((request as Tagged)[kId]);
  if (id === 0) return;
  const durationNs = clockNowNs() - num((request as Tagged)[kStartNs]);
  emitError(m.error, id, error, durationNs);
  end(request, 0, durationNs);
}

export const httpClient = channelSource(
  'http.client',
  ['node:http.client:begin', 'node:http.client:end', 'node:http.client:error'],
  () => Object.values(m = declare()),
  [[START, onStart], [FINISH, onFinish], [ERROR, onError]],
);
