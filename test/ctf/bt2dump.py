#!/usr/bin/env python3
"""Dump every event of a CTF trace as read by babeltrace2's Python bindings, exactly.

Integers become {"i": "<decimal>"}, reals {"f": "<repr>"} (repr round-trips), strings
{"s": ...}, arrays {"a": [...]} (unsigned byte arrays as {"b": "<hex>"}), structures {"o": {...}}. Output: one JSON document
{"events": [{"name", "ns", "fields"}], "discarded": [count...], "warnings": "<log text>"}.
The test suite compares it with the values it wrote. Needs Debian's python3-bt2.
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


def conv(f):
    if isinstance(f, bt2._VariantFieldConst):
        return conv(f.selected_option)
    if isinstance(f, bt2._StructureFieldConst):
        return {"o": {k: conv(v) for k, v in f.items()}}
    if isinstance(f, bt2._ArrayFieldConst):
        if len(f) > 0 and isinstance(f[0], bt2._UnsignedIntegerFieldConst):
            values = [int(x) for x in f]
            if max(values) < 256:
                return {"b": bytes(values).hex()}  # byte sequences (blobs), compactly
        return {"a": [conv(x) for x in f]}
    if isinstance(f, bt2._StringFieldConst):
        return {"s": str(f)}
    if isinstance(f, bt2._RealFieldConst):
        return {"f": repr(float(f))}
    if isinstance(f, bt2._IntegerFieldConst):
        return {"i": str(int(f))}
    return {"?": str(f)}


def main():
    path = sys.argv[1]
    log = tempfile.TemporaryFile()
    saved = os.dup(2)
    os.dup2(log.fileno(), 2)
    out = {"events": [], "discarded": []}
    try:
        comp = bt2.find_plugin("ctf").source_component_classes["fs"]
        # A directory of traces (`tracemark record` writes one per process): one source per
        # trace, merged in time order, as the babeltrace2 CLI reads such a directory.
        traces = []
        for root, dirs, files in os.walk(path):
            dirs.sort()
            if "metadata" in files:
                traces.append(root)
        specs = [bt2.ComponentSpec(comp, {"inputs": [trace]}, logging_level=bt2.LoggingLevel.WARNING)
                 for trace in (traces or [path])]
        for msg in bt2.TraceCollectionMessageIterator(specs):
            if type(msg) is bt2._EventMessageConst:
                ev = msg.event
                out["events"].append({
                    "name": ev.name,
                    "ns": str(msg.default_clock_snapshot.ns_from_origin),
                    "fields": conv(ev.payload_field)["o"],
                })
            elif type(msg) is bt2._DiscardedEventsMessageConst:
                out["discarded"].append(msg.count)
    except Exception as exc:  # noqa: BLE001
        out["error"] = str(exc)
    finally:
        os.dup2(saved, 2)
        log.seek(0)
        out["warnings"] = log.read().decode("utf-8", "replace")
    json.dump(out, sys.stdout)


main()
