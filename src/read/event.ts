/**
 * The shape of a decoded event, shared by `readTrace` and `session.events()`.
 */
export interface TraceEvent {
  name: string;
  id: number;
  /** Nanoseconds since the Unix epoch. */
  timestamp: bigint;
  /** Stream the event came from (stream file name, or channel name for in-memory events). */
  stream: string;
  fields: Record<string, unknown>;
}

/** Non-enumerable property of decoded events: field name → printf spec, for `formatEvent`. */
export const FIELD_SPECS: unique symbol = Symbol('tracemark.fieldSpecs');

export type EventWithSpecs = TraceEvent & { [FIELD_SPECS]?: Record<string, string> };

export function attachFieldSpecs<T extends object>(event: T, specs: Record<string, string>): T {
  Object.defineProperty(event, FIELD_SPECS, { value: specs, enumerable: false });
  return event;
}
