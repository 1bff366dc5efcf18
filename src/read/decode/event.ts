/**
 * The shape of a decoded event, shared by the trace reader and by in-memory event sources
 * (`session.events()`), so that `formatEvent` renders both the same way.
 */

/**
 * Non-enumerable property of an event: field name → printf spec (`%u`, `%s`, `%pW`...). Nested
 * struct members use dotted names (`point.x`); array and sequence elements use the array's name.
 * `Symbol.for` so that two copies of the module agree on it.
 */
export const FIELD_SPECS: unique symbol = Symbol.for('tracemark.fieldSpecs');

export type FieldSpecs = Readonly<Record<string, string>>;

export interface TraceEvent {
  /** Event class name, e.g. `net:rx`. */
  name: string;
  /** Event class id in its stream class. */
  id: number;
  /** Nanoseconds since the Unix epoch. */
  timestamp: bigint;
  /** Stream file path relative to the directory given to the reader (`/` separators). */
  stream: string;
  /** Payload, field names with one leading `_` stripped. */
  fields: Record<string, unknown>;
  /** Stream event context and event context (`vpid`, `vtid`...), when the trace has them. */
  context?: Record<string, unknown>;
  [FIELD_SPECS]?: FieldSpecs;
}

/**
 * The events read from traces: a single class for the events of every event class, so that they share one
 * hidden class and the code creating and reading them stays monomorphic however many event
 * classes a trace has. FIELD_SPECS is a prototype getter over a private field: not an own
 * property, not enumerable, invisible to Object.keys, spread and assert.deepStrictEqual's
 * property walk (which still sees the prototype, see docs/reading.md).
 */
export class DecodedEvent implements TraceEvent {
  // `declare`: no emitted field initializers; the constructor defines the properties in order.
  declare name: string;
  declare id: number;
  declare timestamp: bigint;
  declare stream: string;
  declare fields: Record<string, unknown>;
  declare context?: Record<string, unknown>;
  readonly #specs: FieldSpecs;

  constructor(
    name: string, id: number, specs: FieldSpecs, timestamp: bigint, stream: string,
    fields: Record<string, unknown>, context: Record<string, unknown> | undefined,
  ) {
    this.#specs = specs;
    this.name = name;
    this.id = id;
    this.timestamp = timestamp;
    this.stream = stream;
    this.fields = fields;
    if (context !== undefined) this.context = context;
  }

  get [FIELD_SPECS](): FieldSpecs {
    return this.#specs;
  }
}

export type EventWithSpecs = TraceEvent & { [FIELD_SPECS]?: FieldSpecs };

/** Attaches `specs` to a plain event object as its non-enumerable FIELD_SPECS property. */
export function attachFieldSpecs<T extends object>(event: T, specs: Record<string, string>): T {
  Object.defineProperty(event, FIELD_SPECS, { value: specs, enumerable: false });
  return event;
}
