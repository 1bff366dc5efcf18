#!/usr/bin/env python3
"""Dump every event of a CTF trace as read by babeltrace2's Python bindings, exactly.

Integers become {"i": "<decimal>"}, reals {"f": "<repr>"} (repr round-trips), strings {"s": ...},
arrays {"a": [...]}, structures {"o": {...}}; a variant is its selected option. Every trace
(directory with a metadata file) under DIR is read, one source component each, merged in time
order, like `babeltrace2 DIR`. Needs Debian's python3-bt2. Two outputs, one JSON document:

  bt2dump.py DIR            (test/ctf: the values the writer wrote; unsigned byte arrays as
                             {"b": "<hex>"}, warnings captured)
    {"events": [{"name", "ns", "fields": {...}}], "discarded": [count...], "warnings": "<log text>"}
  bt2dump.py --reader DIR   (test/read and test/lttng: event by event, field by field, loss by loss)
    {"events": [{"name", "ns" (or null without a clock), "fields": VALUE, "context": VALUE}],
     "losses": [{"discarded": "events"|"packets", "count", "begin", "end"}]}
  Both add "error": "<message>" when reading failed.
"""
import json
import os
import sys
import tempfile

if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
    try:
        import bt2  # noqa: F401
    except ImportError:
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
import bt2  # noqa: E402

# A reading that does not end: the caller (test/read/support/bt2.ts) sets this a little under
# its timeout, so that the Python stack (where babeltrace2 is) is on stderr before the kill.
if os.environ.get("BT2DUMP_TRACEBACK_AFTER_S"):
    import faulthandler

    faulthandler.dump_traceback_later(float(os.environ["BT2DUMP_TRACEBACK_AFTER_S"]), exit=False)


def conv(f, blobs):
    if isinstance(f, bt2._VariantFieldConst):
        return conv(f.selected_option, blobs)
    if isinstance(f, bt2._StructureFieldConst):
        return {"o": {k: conv(v, blobs) for k, v in f.items()}}
    if isinstance(f, bt2._ArrayFieldConst):
        if blobs and len(f) > 0 and isinstance(f[0], bt2._UnsignedIntegerFieldConst):
            values = [int(x) for x in f]
            if max(values) < 256:
                return {"b": bytes(values).hex()}  # byte sequences (blobs), compactly
        return {"a": [conv(x, blobs) for x in f]}
    if isinstance(f, bt2._StringFieldConst):
        return {"s": str(f)}
    if isinstance(f, bt2._RealFieldConst):
        return {"f": repr(float(f))}
    if isinstance(f, bt2._IntegerFieldConst):
        return {"i": str(int(f))}
    return {"?": str(f)}


def messages(path, level):
    """The messages of every trace under `path`, one source per trace (`tracemark record` writes
    one per process; LTTng one per buffer scheme), merged in time order as the babeltrace2 CLI does."""
    comp = bt2.find_plugin("ctf").source_component_classes["fs"]
    traces = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        if "metadata" in files:
            traces.append(root)
    specs = [bt2.ComponentSpec(comp, {"inputs": [trace]}, logging_level=level) for trace in (traces or [path])]
    return bt2.TraceCollectionMessageIterator(specs)


def snapshot(msg, name):
    try:
        return str(getattr(msg, name).ns_from_origin)
    except Exception:  # noqa: BLE001 (no clock, or no range in this message)
        return None


def dump(path):
    log = tempfile.TemporaryFile()
    saved = os.dup(2)
    os.dup2(log.fileno(), 2)
    out = {"events": [], "discarded": []}
    try:
        for msg in messages(path, bt2.LoggingLevel.WARNING):
            if type(msg) is bt2._EventMessageConst:
                ev = msg.event
                out["events"].append({
                    "name": ev.name,
                    "ns": str(msg.default_clock_snapshot.ns_from_origin),
                    "fields": conv(ev.payload_field, True)["o"],
                })
            elif type(msg) is bt2._DiscardedEventsMessageConst:
                out["discarded"].append(msg.count)
    except Exception as exc:  # noqa: BLE001
        out["error"] = str(exc)
    finally:
        os.dup2(saved, 2)
        log.seek(0)
        out["warnings"] = log.read().decode("utf-8", "replace")
    return out


def read(path):
    out = {"events": [], "losses": []}
    try:
        for msg in messages(path, bt2.LoggingLevel.ERROR):
            if type(msg) is bt2._EventMessageConst:
                ev = msg.event
                context = {}
                for part in (ev.common_context_field, ev.specific_context_field):
                    if part is not None:
                        context.update(conv(part, False)["o"])
                out["events"].append({
                    "name": ev.name,
                    "ns": snapshot(msg, "default_clock_snapshot"),
                    "fields": conv(ev.payload_field, False) if ev.payload_field is not None else {"o": {}},
                    "context": {"o": context},
                })
                continue
            kind = None
            if type(msg) is bt2._DiscardedEventsMessageConst:
                kind = "events"
            elif type(msg) is bt2._DiscardedPacketsMessageConst:
                kind = "packets"
            if kind is not None:
                out["losses"].append({
                    "discarded": kind,
                    "count": None if msg.count is None else str(msg.count),
                    "begin": snapshot(msg, "beginning_default_clock_snapshot"),
                    "end": snapshot(msg, "end_default_clock_snapshot"),
                })
    except Exception as exc:  # noqa: BLE001
        out["error"] = str(exc)
    return out


def main():
    args = sys.argv[1:]
    out = read(args[1]) if args[0] == "--reader" else dump(args[0])
    json.dump(out, sys.stdout)


main()
