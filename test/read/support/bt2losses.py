#!/usr/bin/env python3
"""Print, as JSON, the losses babeltrace2 (its Python bindings) reports for a trace directory:
[{"discarded": "events"|"packets", "count": "<n or null>", "begin": "<ns>", "end": "<ns>"}],
in message order. The reader tests compare them with `tracemark print --json`. Needs python3-bt2.
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


def snapshot(msg, name):
    try:
        return str(getattr(msg, name).ns_from_origin)
    except Exception:  # noqa: BLE001 (no clock, or no range in this message)
        return None


def main():
    comp = bt2.find_plugin("ctf").source_component_classes["fs"]
    # Like `babeltrace2 DIR`: every trace (a directory with a metadata file) under DIR.
    inputs = sorted(d for d, _, files in os.walk(sys.argv[1]) if "metadata" in files)
    specs = [bt2.ComponentSpec(comp, {"inputs": [d]}, logging_level=bt2.LoggingLevel.ERROR) for d in inputs]
    out = []
    for msg in bt2.TraceCollectionMessageIterator(specs):
        kind = None
        if type(msg) is bt2._DiscardedEventsMessageConst:
            kind = "events"
        elif type(msg) is bt2._DiscardedPacketsMessageConst:
            kind = "packets"
        if kind is None:
            continue
        out.append({
            "discarded": kind,
            "count": None if msg.count is None else str(msg.count),
            "begin": snapshot(msg, "beginning_default_clock_snapshot"),
            "end": snapshot(msg, "end_default_clock_snapshot"),
        })
    json.dump(out, sys.stdout)


main()
