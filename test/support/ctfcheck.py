#!/usr/bin/env python3
"""Reads CTF traces with babeltrace2's own Python bindings (Debian's python3-bt2) and checks them.

    ctfcheck.py DIR [DIR ...] [--expect-events N] [--expect-classes a,b=3,c]
                [--expect-discarded N] [--expect-discarded-packets N]
                [--allow-warnings] [--json]

Each DIR is given to babeltrace2's automatic source discovery, as `babeltrace2 DIR` does (every
trace found below DIR, traces of one UUID grouped, everything merged by time). Then:

  exit 2  the traces do not read to the end (babeltrace2 raised an error)
  exit 3  babeltrace2 logged a warning or an error while reading (unless --allow-warnings)
  exit 1  an expectation failed: event count, the exact set of event classes seen (and a
          count per class with name=N), the sum of discarded events, the number of discarded
          packets, or event times going backwards
  exit 0  otherwise
  killed by SIGALRM after --timeout seconds (default 120): babeltrace2 hung (2.0.4 spins on
          some truncated metadata), so that a caller never waits forever

It prints a summary (per event class, per discarded-events/packets message), as JSON with --json.
The test suite uses it as the verdict of the reference reader on what tracemark wrote.
"""
import argparse
import json
import os
import re
import signal
import sys
import tempfile

# python3-bt2 is installed for Debian's python3 only; another python3 first on PATH lacks it.
try:
    import bt2
except ImportError:
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.stderr.write("ctfcheck: the bt2 module is missing (apt-get install python3-bt2)\n")
    sys.exit(2)


def parse_classes(text):
    expected = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, count = item.partition("=")
        expected[name] = int(count) if count else None
    return expected


def find_traces(paths):
    """Every directory holding a `metadata` file, below (or at) each path."""
    found = []
    for path in paths:
        for root, dirs, files in os.walk(path):
            dirs.sort()
            if "metadata" in files:
                found.append(root)
    return found


PACKETIZED_METADATA_MAGIC = (0x75D11D57).to_bytes(4, "little")
UUID_IN_TEXT = re.compile(rb'uuid\s*=\s*"([0-9a-fA-F-]{36})"')


def trace_uuid(directory):
    """The trace UUID of a metadata file (packetized or text), or None."""
    try:
        with open(os.path.join(directory, "metadata"), "rb") as f:
            head = f.read(64 * 1024)
    except OSError:
        return None
    if head[:4] == PACKETIZED_METADATA_MAGIC or head[:4] == PACKETIZED_METADATA_MAGIC[::-1]:
        return head[4:20].hex() if len(head) >= 20 else None
    match = UUID_IN_TEXT.search(head)
    return match.group(1).decode().replace("-", "").lower() if match else None


def group_by_uuid(directories):
    groups = {}
    for index, directory in enumerate(directories):
        key = trace_uuid(directory) or f"no-uuid-{index}"
        groups.setdefault(key, []).append(directory)
    return list(groups.values())


def read(paths):
    """Every message of the traces below `paths`; babeltrace2's log lines are captured apart."""
    summary = {"events": 0, "classes": {}, "discarded_events": [], "discarded_packets": [],
               "first_ns": None, "last_ns": None, "backwards": 0, "error": None}
    # One src.ctf.fs component per UUID, as the babeltrace2 CLI groups them. bt2's
    # AutoSourceComponentSpec is not used: 2.0.4 aborts the process on some damaged traces.
    sources = [bt2.ComponentSpec.from_named_plugin_and_component_class(
        "ctf", "fs", params={"inputs": group}, logging_level=bt2.LoggingLevel.WARNING)
        for group in group_by_uuid(find_traces(paths))]
    last = None
    try:
        for msg in bt2.TraceCollectionMessageIterator(sources):
            kind = type(msg)
            if kind is bt2._EventMessageConst:
                ns = msg.default_clock_snapshot.ns_from_origin
                if last is not None and ns < last:
                    summary["backwards"] += 1
                last = ns
                if summary["first_ns"] is None:
                    summary["first_ns"] = ns
                summary["last_ns"] = ns
                summary["events"] += 1
                name = msg.event.name
                summary["classes"][name] = summary["classes"].get(name, 0) + 1
            elif kind is bt2._DiscardedEventsMessageConst:
                summary["discarded_events"].append(range_of(msg))
            elif kind is bt2._DiscardedPacketsMessageConst:
                summary["discarded_packets"].append(range_of(msg))
    except Exception as exc:  # noqa: BLE001 - any failure of the reader is the verdict
        summary["error"] = f"{type(exc).__name__}: {exc}"
    return summary


def range_of(msg):
    def ns(snapshot):
        return None if snapshot is None else snapshot.ns_from_origin
    stream = msg.stream
    return {"count": msg.count,
            "stream": stream.name if stream.name is not None else str(stream.id),
            "begin_ns": ns(msg.beginning_default_clock_snapshot),
            "end_ns": ns(msg.end_default_clock_snapshot)}


def capture_stderr(work):
    """Runs `work` with file descriptor 2 sent to a temporary file: libbabeltrace2 logs there."""
    log = tempfile.TemporaryFile()
    saved = os.dup(2)
    os.dup2(log.fileno(), 2)
    try:
        result = work()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    log.seek(0)
    return result, log.read().decode("utf-8", "replace")


def check(summary, args):
    failures = []
    if args.expect_events is not None and summary["events"] != args.expect_events:
        failures.append(f"expected {args.expect_events} events, read {summary['events']}")
    if args.expect_classes is not None:
        expected = parse_classes(args.expect_classes)
        seen = summary["classes"]
        if set(expected) != set(seen):
            failures.append(f"expected event classes {sorted(expected)}, read {sorted(seen)}")
        for name, count in expected.items():
            if count is not None and seen.get(name, 0) != count:
                failures.append(f"expected {count} events of {name}, read {seen.get(name, 0)}")
    if args.expect_discarded is not None:
        counts = [d["count"] for d in summary["discarded_events"]]
        if None in counts:
            failures.append("a discarded-events message has no count")
        elif sum(counts) != args.expect_discarded:
            failures.append(f"expected {args.expect_discarded} discarded events, babeltrace2 reports {sum(counts)}")
    if args.expect_discarded_packets is not None:
        lost = sum(d["count"] or 0 for d in summary["discarded_packets"])
        if lost != args.expect_discarded_packets:
            failures.append(f"expected {args.expect_discarded_packets} discarded packets, babeltrace2 reports {lost}")
    if summary["backwards"] > 0:
        failures.append(f"event times go backwards {summary['backwards']} time(s)")
    return failures


def main():
    parser = argparse.ArgumentParser(description="Check CTF traces with babeltrace2 (bt2).")
    parser.add_argument("dirs", nargs="+", metavar="DIR")
    parser.add_argument("--expect-events", type=int)
    parser.add_argument("--expect-classes")
    parser.add_argument("--expect-discarded", type=int)
    parser.add_argument("--expect-discarded-packets", type=int)
    parser.add_argument("--allow-warnings", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--timeout", type=int, default=120)
    args = parser.parse_args()
    # The default action of SIGALRM ends the process even while babeltrace2 spins in C code.
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(args.timeout)

    summary, log = capture_stderr(lambda: read(args.dirs))
    warnings = [line for line in log.splitlines() if line.strip()]
    summary["warnings"] = warnings
    failures = check(summary, args)
    summary["failures"] = failures

    if args.json:
        json.dump(summary, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(f"events: {summary['events']}")
        for name, count in sorted(summary["classes"].items()):
            print(f"  {name}: {count}")
        for d in summary["discarded_events"]:
            print(f"discarded events: {d['count']} in stream {d['stream']} [{d['begin_ns']}, {d['end_ns']}]")
        for d in summary["discarded_packets"]:
            print(f"discarded packets: {d['count']} in stream {d['stream']} [{d['begin_ns']}, {d['end_ns']}]")
        for line in warnings:
            print(f"babeltrace2: {line}")
        if summary["error"]:
            print(f"error: {summary['error']}")
        for failure in failures:
            print(f"FAIL: {failure}")

    if summary["error"]:
        sys.exit(2)
    if warnings and not args.allow_warnings:
        sys.exit(3)
    sys.exit(1 if failures else 0)


main()
