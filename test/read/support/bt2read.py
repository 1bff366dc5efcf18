#!/usr/bin/env python3
"""What babeltrace2 (its Python bindings) reads in a trace directory, as JSON, for the reader
tests to compare with tracemark, event by event, field by field, loss by loss:

  {"events": [{"name", "ns" (or null without a clock), "fields": VALUE, "context": VALUE}],
   "losses": [{"discarded": "events"|"packets", "count", "begin", "end"}],
   "error": "<message>" (only when reading failed)}

VALUE: integers {"i": "<decimal>"}, reals {"f": "<repr>"}, strings {"s": ...}, arrays
{"a": [...]}, structures {"o": {...}}; a variant is its selected option. Every trace (directory
with a metadata file) under DIR is read, one source component each, like `babeltrace2 DIR`.
Needs Debian's python3-bt2.
"""
import json
import os
import sys

if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
    try:
        import bt2  # noqa: F401
    except ImportError:
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
import bt2  # noqa: E402


def conv(f):
    if isinstance(f, bt2._VariantFieldConst):
        return conv(f.selected_option)
    if isinstance(f, bt2._StructureFieldConst):
        return {"o": {k: conv(v) for k, v in f.items()}}
    if isinstance(f, bt2._ArrayFieldConst):
        return {"a": [conv(x) for x in f]}
    if isinstance(f, bt2._StringFieldConst):
        return {"s": str(f)}
    if isinstance(f, bt2._RealFieldConst):
        return {"f": repr(float(f))}
    if isinstance(f, bt2._IntegerFieldConst):
        return {"i": str(int(f))}
    return {"?": str(f)}


def snapshot(msg, name):
    try:
        return str(getattr(msg, name).ns_from_origin)
    except Exception:  # noqa: BLE001 (no clock, or no range in this message)
        return None


def main():
    comp = bt2.find_plugin("ctf").source_component_classes["fs"]
    inputs = sorted(d for d, _, files in os.walk(sys.argv[1]) if "metadata" in files)
    specs = [bt2.ComponentSpec(comp, {"inputs": [d]}, logging_level=bt2.LoggingLevel.ERROR) for d in inputs]
    out = {"events": [], "losses": []}
    try:
        for msg in bt2.TraceCollectionMessageIterator(specs):
            if type(msg) is bt2._EventMessageConst:
                ev = msg.event
                context = {}
                for part in (ev.common_context_field, ev.specific_context_field):
                    if part is not None:
                        context.update(conv(part)["o"])
                out["events"].append({
                    "name": ev.name,
                    "ns": snapshot(msg, "default_clock_snapshot"),
                    "fields": conv(ev.payload_field) if ev.payload_field is not None else {"o": {}},
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
    json.dump(out, sys.stdout)


main()
