/** Reading `node:*` events back through babeltrace2, as plain values. */
import assert from 'node:assert/strict';
import { bt2dump, plain } from '../ctf/helpers.js';

export interface NodeEvent { name: string; fields: Record<string, unknown> }

/** Every event of the trace in `dir`, read by babeltrace2 (which must not warn). */
export function readWithBabeltrace(dir: string): NodeEvent[] {
  const dump = bt2dump(dir);
  assert.equal(dump.warnings, '', 'babeltrace2 reads the trace without a warning');
  assert.equal(dump.error, undefined);
  return dump.events.map((e) => ({ name: e.name, fields: Object.fromEntries(Object.entries(e.fields).map(([k, v]) => [k, plain(v)])) }));
}

export function named(events: readonly NodeEvent[], name: string): NodeEvent[] {
  return events.filter((e) => e.name === name);
}

/** The one event named `name` whose fields include `match`. */
export function one(events: readonly NodeEvent[], name: string, match: Record<string, unknown> = {}): NodeEvent {
  const found = named(events, name).filter((e) => Object.entries(match).every(([k, v]) => e.fields[k] === v));
  assert.equal(found.length, 1, `one ${name} with ${JSON.stringify(match, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}; events: ${events.map((e) => e.name).join(' ')}`);
  return found[0];
}

/** Node's channels the integration subscribes to (all of them exist on Node 20, 22, 24 and 26). */
export const CHANNELS = [
  'http.server.request.start', 'http.server.response.finish',
  'http.client.request.start', 'http.client.response.finish', 'http.client.request.error',
  'undici:request:create', 'undici:request:headers', 'undici:request:trailers', 'undici:request:error',
  'net.client.socket', 'net.server.socket', 'udp.socket', 'child_process', 'worker_threads',
];
