import type { FieldInfo } from '../format/parse.js';
import { registry } from '../registry/index.js';
import type { Channel } from '../ring/channel.js';
import { clockToEpochNs } from '../ring/clock.js';
import { decodePacket, heldPackets } from '../ring/decode.js';
import { attachFieldSpecs, type TraceEvent } from '../read/decode/event.js';

export type TraceEventLike = TraceEvent;

const specCache = new Map<number, Record<string, string>>();

function specsOf(id: number, fields: readonly FieldInfo[]): Record<string, string> {
  let specs = specCache.get(id);
  if (specs === undefined) {
    specs = Object.fromEntries(fields.map((f) => [f.name, f.spec]));
    specCache.set(id, specs);
  }
  return specs;
}

/** Decodes the events held in the channels' rings, merged oldest first. */
export function decodeEvents(channels: readonly Channel[]): TraceEvent[] {
  const all: TraceEvent[] = [];
  for (const channel of channels) {
    for (const packet of heldPackets(channel)) {
      for (const raw of decodePacket(channel, packet, (id) => registry.byId(id)?.fields)) {
        const registration = registry.byId(raw.id)!;
        const fields: Record<string, unknown> = {};
        // defineProperty: a field may be named `__proto__`, which an assignment would not create.
        registration.fields.forEach((field, i) => {
          Object.defineProperty(fields, field.name, { value: raw.values[i], enumerable: true, writable: true, configurable: true });
        });
        all.push(attachFieldSpecs({
          name: registration.name,
          id: raw.id,
          timestamp: clockToEpochNs(raw.ts),
          stream: channel.name,
          fields,
        }, specsOf(raw.id, registration.fields)));
      }
    }
  }
  // Array.prototype.sort is stable: events of one channel keep their order on equal timestamps.
  return all.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
}
