"""Detection benchmarks: replay speed, one household's model size, restoring a fleet's models,
relearning a home from its stored month after an upgrade.

    python -m benchmarks.detection [--days 60] [--households 10000] [--instructions]

Prints figures; targets from the routine-learning issue: replay >= 20,000 events/s on one core, a
household's model <= 200 KB in RAM and pickled after 60 days.

This shared machine's speed varies by up to 3x from one day to the next, so events/s alone cannot
tell whether the code got slower. ``--instructions`` also counts the CPU instructions one replay
takes under valgrind's callgrind (a replay less a run that only loads the same stream), which
does not depend on the machine's speed that day: for the same code and interpreter it repeats to
about half a percent (address layout and the collector's timing still differ between runs), so
instructions per event compare code versions across sessions. It takes about two minutes.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from detection.engine import DetectionEngine
from detection.replay import drive, household_events
from detection.service import RELEARN_STEP
from simulator.simulation import build_homes


def simulated(days: int, persona: str = "homebody"):
    [home] = build_homes(1, seed="bench", days=days, personas=[persona])
    spec, events = household_events(home.household, home.events())
    return spec, events


def best_of(run, times: int = 3) -> float:
    """The shortest of ``times`` runs, in seconds: this shared machine varies by up to 1.5x."""
    best = float("inf")
    for _ in range(times):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return best


def instructions(spec, events) -> int | None:
    """CPU instructions of one replay with 1-min ticks (callgrind), or None without valgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    counts = {}
    with tempfile.TemporaryDirectory() as tmp:
        stream = Path(tmp) / "stream.pkl"
        stream.write_bytes(pickle.dumps((spec, events)))
        for what in ("load", "replay"):
            done = subprocess.run(
                [valgrind, "--tool=callgrind", f"--callgrind-out-file={tmp}/callgrind.out",
                 sys.executable, "-m", "benchmarks.detection", "--callgrind-child", what, str(stream)],
                capture_output=True, text=True, check=True,
                env={**os.environ, "PYTHONHASHSEED": "0"})  # one string-hash layout: less to differ between runs
            found = re.search(r"Collected : (\d+)", done.stderr)
            if found is None:
                raise RuntimeError(f"callgrind printed no count: {done.stderr[-500:]}")
            counts[what] = int(found.group(1))
    return counts["replay"] - counts["load"]


def _callgrind_child(what: str, path: str) -> int:
    """What runs under callgrind: load the stream, and (``replay``) replay it."""
    spec, events = pickle.loads(Path(path).read_bytes())  # noqa: S301 - our own file
    if what == "replay":
        sum(1 for _ in drive(DetectionEngine(), spec, events))
    return 0


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:2] == ["--callgrind-child"]:
        return _callgrind_child(*sys.argv[2:4])
    parser = argparse.ArgumentParser(prog="python -m benchmarks.detection")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--instructions", action="store_true",
                        help="also count one replay's CPU instructions with callgrind (about 2 min)")
    args = parser.parse_args(argv)

    spec, events = simulated(args.days)
    print(f"stream: {len(events)} events over {args.days} simulated days ({spec.hub})")

    engine = DetectionEngine()
    signals: list = []
    elapsed = best_of(lambda: signals.append(sum(1 for _ in drive(DetectionEngine(), spec, events))))
    list(drive(engine, spec, events))
    ticks = args.days * 1440
    print(f"replay with 1-min ticks: {len(events) / elapsed:,.0f} events/s "
          f"({elapsed:.2f} s for {len(events)} events + ~{ticks} ticks, {signals[0]} signals)")

    def events_only() -> None:
        engine2 = DetectionEngine()
        engine2.add_household(spec.hub, spec.timezone)
        engine2.process(events)

    elapsed = best_of(events_only)
    print(f"events only (no ticks):  {len(events) / elapsed:,.0f} events/s")

    blob = engine.dump(spec.hub)
    routine_blob = pickle.dumps(engine.routines[spec.hub], protocol=pickle.HIGHEST_PROTOCOL)
    print(f"pickled after {args.days} days: {len(blob) / 1024:.1f} KB (routine model alone "
          f"{len(routine_blob) / 1024:.1f} KB)")

    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    restored = pickle.loads(blob)  # noqa: S301 - our own blob
    quiet = restored["routine"].quiet
    for place in range(3):  # the limits are worked out when first asked: count them all
        for minute in range(0, 1440, 30):
            quiet.limit(events[-1].ts + timedelta(minutes=minute), place)
    in_ram = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    print(f"in RAM (restored, every quiet limit worked out; tracemalloc): {in_ram / 1024:.1f} KB")
    del restored

    month = [e for e in events if e.ts >= events[-1].ts - timedelta(days=28)]
    elapsed = best_of(lambda: list(drive(DetectionEngine(), spec, month, step=RELEARN_STEP)))
    print(f"relearn one home from its last 28 days ({len(month)} events, "
          f"{RELEARN_STEP.seconds // 60}-min ticks): {elapsed:.2f} s; "
          f"{args.households:,} homes on one core: {elapsed * args.households / 60:.0f} min")

    fleet = DetectionEngine()
    t0 = time.perf_counter()
    for n in range(args.households):
        fleet.restore(f"{spec.hub}-{n}", blob)
    elapsed = time.perf_counter() - t0
    print(f"restore {args.households:,} households' models: {elapsed:.2f} s "
          f"({args.households / elapsed:,.0f} per s)")

    if args.instructions:
        counted = instructions(spec, events)
        if counted is None:
            print("instructions: valgrind is not installed (apt-get install valgrind)")
        else:
            print(f"instructions per event, replay with 1-min ticks (callgrind; repeats to about 0.5 %): "
                  f"{counted / len(events):,.0f} ({counted / 1e9:.2f} billion for {len(events)} events)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
