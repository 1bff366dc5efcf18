/**
 * Event fields as typed TrackEvent extension fields instead of debug annotations: the names and
 * types of a marker's fields are said once per trace, in a protobuf schema the trace carries
 * (an ExtensionDescriptor packet: a FileDescriptorSet with a message per marker and an
 * extension of perfetto.protos.TrackEvent of that type), and each event writes only a tag per
 * field and its value. Perfetto's trace processor reads such fields into the args table (key
 * `<extension>.<field>`, e.g. `bench_event.a`) and the UI shows them with the event.
 *
 * Per event this costs 4 bytes (the extension's 3-byte tag, its length) plus 1 byte per field,
 * against 4 to 5 bytes per field for a debug annotation (its tag and length, the interned name,
 * the value's tag). Field numbers: track_event.proto gives 1000-1999 to Chromium and
 * 2001-2999 to Android (trace processor knows their schemas: a number of theirs would be read
 * as their field), keeps 3000-9899 for future projects and 9900-10000 for Perfetto's own tests,
 * the range Perfetto's extension guide uses for hand-written traces; we use it (a project may
 * ask perfetto-dev for a subrange of its own). So 101 markers get a message; the others,
 * fields added after a marker's first event, values that do not fit the field's type and
 * string fields whose first value is longer than an interned reference costs keep debug
 * annotations (strings interned): nothing is lost.
 */
import { FIELD_SPECS, type TraceEvent } from '../../read/index.js';
import { SPECS } from '../../format/parse.js';
import { hex, jsonValue } from '../json-values.js';
import { ProtoWriter } from './proto-writer.js';

const FIRST_EXTENSION = 9900;
const LAST_EXTENSION = 10000;
// descriptor.proto: FileDescriptorSet, FileDescriptorProto, DescriptorProto, FieldDescriptorProto
const SET_FILE = 1;
const FILE_NAME = 1;
const FILE_PACKAGE = 2;
const FILE_MESSAGE_TYPE = 4;
const FILE_SYNTAX = 12;
const MESSAGE_NAME = 1;
const MESSAGE_FIELD = 2;
const MESSAGE_EXTENSION = 6;
const FIELD_NAME = 1;
const FIELD_EXTENDEE = 2;
const FIELD_NUMBER = 3;
const FIELD_LABEL = 4;
const FIELD_TYPE = 5;
const FIELD_TYPE_NAME = 6;
const LABEL_OPTIONAL = 1;
const TYPE_DOUBLE = 1;
const TYPE_UINT64 = 4;
const TYPE_STRING = 9;
const TYPE_MESSAGE = 11;
const TYPE_SINT64 = 18;
const PACKAGE = 'tracemark';
/** Inline, a string costs 2 bytes and its text; an interned annotation value about 7 in all. */
const MAX_INLINE_CHARS = 6;

type Kind = 'sint' | 'uint' | 'double' | 'string' | 'text';

const PROTO_TYPE: Record<Kind, number> = { sint: TYPE_SINT64, uint: TYPE_UINT64, double: TYPE_DOUBLE, string: TYPE_STRING, text: TYPE_STRING };
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

export interface MarkerLayout {
  /** The TrackEvent extension field number. */
  readonly number: number;
  readonly fields: ReadonlyMap<string, { readonly number: number; readonly kind: Kind }>;
}

function kindOf(spec: string | undefined, value: unknown): Kind {
  const type = spec === undefined ? undefined : SPECS[spec]?.type;
  switch (type) {
    case 'i8': case 'i16': case 'i32': case 'i64': return 'sint';
    case 'u8': case 'u16': case 'u32': case 'u64': return 'uint';
    case 'f64': return 'double';
    case 'string': case 'char': return 'string';
    case 'blob': return 'text';
    default:
      // A trace from another producer: the first value decides.
      if (typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value))) return 'sint';
      if (typeof value === 'number') return 'double';
      return typeof value === 'string' ? 'string' : 'text';
  }
}

function identifier(text: string): string {
  const id = text.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(id) || id === '' ? `_${id}` : id;
}

export class TypedFields {
  private readonly layouts = new Map<string, MarkerLayout | null>();
  private readonly extensionNames = new Set<string>();
  private next = FIRST_EXTENSION;
  private readonly w = [new ProtoWriter(), new ProtoWriter(), new ProtoWriter(), new ProtoWriter()];
  private readonly body = new ProtoWriter();

  /** `declare` gets each new schema (a FileDescriptorSet) before the first event that uses it. */
  constructor(private readonly declare: (fileDescriptorSet: ProtoWriter) => void) {}

  /** The marker's layout, declared on its first event; null past the extension range. */
  layout(event: TraceEvent): MarkerLayout | null {
    const known = this.layouts.get(event.name);
    if (known !== undefined) return known;
    if (this.next > LAST_EXTENSION) {
      this.layouts.set(event.name, null);
      return null;
    }
    const specs = event[FIELD_SPECS];
    const fields = new Map<string, { number: number; kind: Kind }>();
    for (const key in event.fields) {
      const value = event.fields[key];
      const kind = kindOf(specs?.[key], value);
      // A string field whose first value is longer than an interned reference stays an
      // annotation with interned values (decided once per marker: one arg key per field).
      if (kind === 'string' && typeof value === 'string' && value.length > MAX_INLINE_CHARS) continue;
      fields.set(key, { number: fields.size + 1, kind });
    }
    const layout: MarkerLayout = { number: this.next++, fields };
    this.layouts.set(event.name, layout);
    let name = identifier(event.name);
    while (this.extensionNames.has(name)) name = `${name}_${layout.number}`;
    this.extensionNames.add(name);
    this.declare(this.schema(name, layout));
    return layout;
  }

  private schema(extensionName: string, layout: MarkerLayout): ProtoWriter {
    const [set, file, message, field] = this.w;
    const messageName = `M${layout.number}`;
    message.reset().string(MESSAGE_NAME, messageName);
    for (const [key, f] of layout.fields) {
      field.reset().string(FIELD_NAME, identifier(key)).uint(FIELD_NUMBER, f.number).uint(FIELD_LABEL, LABEL_OPTIONAL).uint(FIELD_TYPE, PROTO_TYPE[f.kind]);
      message.message(MESSAGE_FIELD, field);
    }
    field.reset().string(FIELD_NAME, extensionName).string(FIELD_EXTENDEE, '.perfetto.protos.TrackEvent').uint(FIELD_NUMBER, layout.number)
      .uint(FIELD_LABEL, LABEL_OPTIONAL).uint(FIELD_TYPE, TYPE_MESSAGE).string(FIELD_TYPE_NAME, `.${PACKAGE}.${messageName}`);
    message.message(MESSAGE_EXTENSION, field);
    file.reset().string(FILE_NAME, `${PACKAGE}/${messageName}.proto`).string(FILE_PACKAGE, PACKAGE).message(FILE_MESSAGE_TYPE, message).string(FILE_SYNTAX, 'proto2');
    return set.reset().message(SET_FILE, file);
  }

  /**
   * Writes the fields that fit the layout into `trackEvent` as one extension message; calls
   * `annotate` for the others.
   */
  write(trackEvent: ProtoWriter, layout: MarkerLayout, fields: Record<string, unknown>, annotate: (key: string, value: unknown) => void): void {
    const body = this.body.reset();
    for (const key in fields) {
      const f = layout.fields.get(key);
      const value = fields[key];
      if (f === undefined || !TypedFields.put(body, f.number, f.kind, value)) annotate(key, value);
    }
    if (body.length > 0) trackEvent.message(layout.number, body);
  }

  /** The value in the field's type; false when it does not fit (it becomes an annotation). */
  private static put(w: ProtoWriter, number: number, kind: Kind, value: unknown): boolean {
    switch (kind) {
      case 'sint':
        if (typeof value === 'number' && Number.isSafeInteger(value)) w.sint64(number, value);
        else if (typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX) w.sint64(number, value);
        else return false;
        return true;
      case 'uint':
        if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) w.uint(number, value);
        else if (typeof value === 'bigint' && value >= 0n && value <= UINT64_MAX) w.int64(number, value);
        else return false;
        return true;
      case 'double':
        if (typeof value !== 'number') return false;
        w.double(number, value);
        return true;
      case 'string':
        if (typeof value !== 'string') return false;
        w.string(number, value);
        return true;
      case 'text':
        w.string(number, value instanceof Uint8Array ? hex(value) : JSON.stringify(jsonValue(value, true)) ?? String(value));
        return true;
    }
  }
}
