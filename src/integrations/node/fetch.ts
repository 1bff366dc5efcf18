/**
 * `node:fetch:*`: requests made by the global `fetch` (Node's bundled undici), and by the undici
 * package when the application uses it: both publish the `undici:request:*` channels (Node 20+).
 */
import { marker } from '../../marker/index.js';
import { clockNowNs } from '../../ring/clock.js';
import { currentRequest } from './context.js';
import { channelSource, emitError, nextId, num, str, tagNumber, type Tagged } from './source.js';

const CREATE = 'undici:request:create';
const HEADERS = 'undici:request:headers';
const TRAILERS = 'undici:request:trailers';
const ERROR = 'undici:request:error';
const kId = Symbol('tracemark.fetch.id');
const kStartNs = Symbol('tracemark.fetch.startNs');
const kStatus = Symbol('tracemark.fetch.status');

function declare() {
  return {
    begin: marker('node:fetch:begin', 'span_id %lu parent %lu method %s origin %s path %s'),
    headers: marker('node:fetch:headers', 'span_id %lu status %u duration_ns %lu'),
    end: marker('node:fetch:end', 'span_id %lu status %u duration_ns %lu'),
    error: marker('node:fetch:error', 'span_id %lu name %s code %s message %s duration_ns %lu'),
  };
}
let m: ReturnType<typeof declare>;

interface UndiciRequestLike { method?: string; origin?: unknown; path?: string }

function onCreate(message: unknown): void {
  const { request } = message as { request: UndiciRequestLike };
  const id = nextId();
  const tagged = request as Tagged;
  tagged[kId] = id;
  tagged[kStartNs] = clockNowNs();
  tagged[kStatus] = 0;
  // `origin` is a string in undici's requests, a URL in some versions' options.
  if (m.begin.enabled) m.begin(id, currentRequest(), str(request.method), String(request.origin ?? ''), str(request.path));
}

function onHeaders(message: unknown): void {
  const { request, response } = message as { request: unknown; response: { statusCode?: number } };
  const id = tagNumber(request, kId);
  if (id === 0) return;
  const status = num(response.statusCode);
  (request as Tagged)[kStatus] = status;
  if (m.headers.enabled) m.headers(id, status, clockNowNs() - tagNumber(request, kStartNs));
}

function end(request: unknown, durationNs: number): void {
  const id = tagNumber(request, kId);
  if (id === 0) return;
  (request as Tagged)[kId] = 0;
  m.end(id, tagNumber(request, kStatus), durationNs);
}

function onTrailers(message: unknown): void {
  const { request } = message as { request: unknown };
  end(request, clockNowNs() - tagNumber(request, kStartNs));
}

function onError(message: unknown): void {
  const { request, error } = message as { request: unknown; error: unknown };
  const id = tagNumber(request, kId);
  if (id === 0) return;
  const durationNs = clockNowNs() - tagNumber(request, kStartNs);
  emitError(m.error, id, error, durationNs);
  end(request, durationNs);
}

export const fetchSource = channelSource(
  'fetch',
  ['node:fetch:begin', 'node:fetch:headers', 'node:fetch:end', 'node:fetch:error'],
  () => Object.values(m = declare()),
  [[CREATE, onCreate], [HEADERS, onHeaders], [TRAILERS, onTrailers], [ERROR, onError]],
);
