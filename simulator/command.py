"""``telecare simulate``: simulated homes to files, to an MQTT broker, or both.

The service's CLI wires it in with ``add_arguments(subparser)`` and ``run(args)``; ``python -m
simulator`` runs it on its own.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

from simulator.eventsfile import write_events, write_raw_messages, write_truth
from simulator.faults import (
    DuplicateChooser,
    RawMessage,
    duplicates_truth,
    malformed_messages,
)
from simulator.fleet import publish_homes
from simulator.pairing import DEVICE_ID, STANDARD_KIT, KitSensor, PairingHub
from simulator.personas import PERSONAS
from simulator.progress import Progress
from simulator.publisher import (
    PROTOCOLS,
    BrokerAddress,
    Pacer,
    PublishError,
)
from simulator.scenarios import SCENARIOS, parse_scenario
from simulator.simulation import (
    DEFAULT_START,
    DEFAULT_TIMEZONE,
    SimulatedHome,
    build_homes,
)

DESCRIPTION = (
    "Simulate homes with residents living their days, and publish or save their sensor events."
)
PAIR_ANNOUNCE_EVERY_S = 5.0
PAIR_FIRE_EVERY_S = 3.0
EPILOG = f"""\
scenarios (--scenario, repeatable): [HOME/]KIND@DAY[THH:MM][:ARG]
  KIND  one of {", ".join(SCENARIOS)}
  DAY   1 is the --start date; the time is the home's local clock (default depends on KIND)
  ARG   device id for device_offline; minutes for fall (silence), not_up (late by),
        night_wandering (out for), night_up (in the kitchen for), long_bathroom (stay)
        (not_up's time is the usual wake time; without it, the persona's)
  HOME  hub id or home number; without it, every home
  e.g.  fall@3T14:20  help_request@2T10:00  not_up@4  night_wandering@5T02:30
        long_bathroom@6T09:00:90  2/device_offline@3T12:00:m-kitchen

files (--out-dir DIR), per home: <hub>.household.json, <hub>.events.jsonl (sorted by ts;
--duplicates repeats lines), <hub>.truth.jsonl (ground truth), and <hub>.malformed.jsonl with
--malformed. --start defaults to {DEFAULT_START.isoformat()} so that the same options give the same
bytes.

pairing (--pair, with --mqtt-url): one hub (--hub; default the first home's, e.g. sim-001) in
pairing mode, as an installer sees it. Every {PAIR_ANNOUNCE_EVERY_S:g} s it announces each sensor of the standard kit on
<prefix>/<hub>/pairing (QoS 1, not retained) as {{"device": ID, "type": TYPE, "model": TEXT}}:
the service accepts announcements only in pairing mode. Every {PAIR_FIRE_EVERY_S:g} s it fires the next sensor in
turn on <prefix>/<hub>/<device>/event with the normal payload (binary sensors: true, then false).
It prints a line per announcement round and per event, and runs until Ctrl-C, SIGTERM or
--pair-for SECONDS. Other simulation and file options are not used.
  kit   {", ".join(s.device for s in STANDARD_KIT)}
  e.g.  --pair --mqtt-url mqtt://127.0.0.1:1883 --hub h-0042 --pair-for 600
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = parser.description or DESCRIPTION
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add = parser.add_argument
    add("--homes", type=_positive, default=3, metavar="N", help="number of homes (default 3)")
    add("--days", type=_positive, default=7, metavar="D", help="days to simulate (default 7)")
    add(
        "--start",
        type=date.fromisoformat,
        default=DEFAULT_START,
        metavar="YYYY-MM-DD",
        help=f"first day, from local midnight (default {DEFAULT_START.isoformat()})",
    )
    add("--seed", default="0", help="same seed and options: identical events (default 0)")
    add(
        "--persona",
        action="append",
        choices=sorted(PERSONAS),
        metavar="NAME",
        help=f"resident habits, repeatable, cycled over homes (default: {', '.join(PERSONAS)})",
    )
    add(
        "--scenario",
        action="append",
        default=[],
        metavar="SPEC",
        help="inject a scenario (see below)",
    )
    add(
        "--timezone", default=DEFAULT_TIMEZONE, help=f"homes' timezone (default {DEFAULT_TIMEZONE})"
    )
    add("--hub-prefix", default="sim-", help="hub ids are PREFIX001, PREFIX002... (default sim-)")
    add(
        "--out",
        type=Path,
        metavar="FILE",
        help="write the events file (JSON Lines) here; with several homes the hub id goes before "
        "the extension (month.jsonl -> month.sim-001.jsonl)",
    )
    add("--out-dir", type=Path, metavar="DIR", help="write household, events and truth files here")
    add("--households-dir", type=Path, metavar="DIR", help="write <hub>.household.json files here")
    add(
        "--mqtt-url",
        metavar="URL",
        help="publish to mqtt://[user:pass@]host[:port] (no user: the hub id)",
    )
    add(
        "--protocol",
        choices=sorted(PROTOCOLS),
        default="5",
        help="MQTT version: 5 (Mosquitto) or 3.1.1 (embedded broker)",
    )
    add("--topic-prefix", default="telecare", help="topic prefix (default telecare)")
    add(
        "--speed",
        type=float,
        default=0.0,
        metavar="N",
        help="0: as fast as possible (default); 1: real time from --start; N: N times faster",
    )
    add(
        "--max-rate",
        type=float,
        default=0.0,
        metavar="N",
        help="at most N events a second over all homes (default 0: no limit); a broker drops "
        "what a slow subscriber cannot take (Mosquitto queues 1000 messages per client)",
    )
    add(
        "--duplicates",
        type=_fraction,
        default=0.0,
        metavar="FRACTION",
        help="send this fraction of events twice",
    )
    add(
        "--malformed",
        type=_non_negative,
        default=0,
        metavar="N",
        help="also send N malformed messages per home",
    )
    add(
        "--pair",
        action="store_true",
        help="run one hub in pairing mode: announce the standard kit, fire each sensor in turn "
        "(needs --mqtt-url; see below)",
    )
    add(
        "--hub",
        metavar="HUB",
        help="with --pair: the hub id (default: the first home's, PREFIX001 with --hub-prefix)",
    )
    add(
        "--pair-for",
        type=_positive_float,
        metavar="SECONDS",
        help="with --pair: stop after this long (default: until Ctrl-C or SIGTERM)",
    )


def run(args: argparse.Namespace) -> int:
    if args.pair:
        return _pair(args)
    try:
        homes = build_homes(
            args.homes,
            seed=args.seed,
            start=args.start,
            days=args.days,
            personas=args.persona,
            scenarios=[parse_scenario(spec) for spec in args.scenario],
            hub_prefix=args.hub_prefix,
            timezone=args.timezone,
        )
        target = BrokerAddress.parse(args.mqtt_url) if args.mqtt_url else None
    except ValueError as exc:
        print(f"telecare simulate: {exc}", file=sys.stderr)
        return 2
    malformed = {
        h.hub: malformed_messages(
            h.household, args.malformed, h.window_start, h.window_end, args.seed
        )
        for h in homes
    }
    for directory in filter(None, (args.households_dir, args.out_dir)):
        directory.mkdir(parents=True, exist_ok=True)
        for home in homes:
            (directory / f"{home.hub}.household.json").write_text(
                _household_json(home), encoding="utf-8"
            )
    if args.out:
        for home in homes:
            path = args.out if len(homes) == 1 else args.out.with_suffix(f".{home.hub}{args.out.suffix}")
            written, repeated = _write_events_file(home, args, path)
            print(f"{home.hub} ({home.persona.name}): {written} events, {repeated} duplicates -> {path}")
    if args.out_dir:
        for home in homes:
            _write_files(home, args, malformed[home.hub])
    if target is not None:
        try:
            with Progress("published") as progress:
                counts = publish_homes(
                    homes,
                    target,
                    protocol=args.protocol,
                    topic_prefix=args.topic_prefix,
                    pacer=Pacer.at_speed(homes[0].window_start, args.speed, None, args.max_rate),
                    duplicates=args.duplicates,
                    seed=args.seed,
                    malformed=malformed,
                    progress=progress,
                )
        except PublishError as exc:
            print(f"telecare simulate: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\ntelecare simulate: interrupted", file=sys.stderr)
            return 130
        for hub, c in counts.items():
            print(
                f"{hub}: published {c.published} events, "
                f"{c.duplicates} duplicates, {c.raw} malformed"
            )
    if not (args.out or args.out_dir or args.households_dir or target):
        for home in homes:  # nothing asked for: say what would be produced
            count = sum(1 for _ in home.events())
            print(f"{home.hub} ({home.persona.name}): {count} events, {len(home.truth)} scenarios")
    return 0


def _pair(args: argparse.Namespace) -> int:
    """``--pair``: one hub announcing the standard kit and firing its sensors until stopped."""
    hub = args.hub or f"{args.hub_prefix}001"
    problem = None
    if not args.mqtt_url:
        problem = "--pair needs --mqtt-url"
    elif args.out or args.out_dir or args.households_dir:
        problem = "--pair only publishes: drop --out, --out-dir and --households-dir"
    elif not DEVICE_ID.fullmatch(hub):
        problem = f"hub id {hub!r}: letters, digits and '_.:-', at most 64"
    if problem is None:
        try:
            target = BrokerAddress.parse(args.mqtt_url)
        except ValueError as exc:
            problem = str(exc)
    if problem is not None:
        print(f"telecare simulate: {problem}", file=sys.stderr)
        return 2
    stop = threading.Event()
    try:
        paired = PairingHub.connect(
            hub,
            host=target.host,
            port=target.port,
            username=target.username,
            password=target.password,
            tls=target.tls,
            protocol=PROTOCOLS[args.protocol],
            topic_prefix=args.topic_prefix,
        )
    except PublishError as exc:
        print(f"telecare simulate: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # before the signal handlers below take over Ctrl-C
        print("\ntelecare simulate: interrupted", file=sys.stderr)
        return 130

    def announced(round_number: int, sensors: tuple[KitSensor, ...]) -> None:
        print(
            f"{hub}: round {round_number}: announced {len(sensors)} sensors on "
            f"{paired.pairing_topic}: {' '.join(s.device for s in sensors)}",
            flush=True,
        )

    def fired(records: list[dict]) -> None:
        for r in records:
            print(
                f"{hub}: {r['device']} ({r['type']}) value={json.dumps(r['value'])} "
                f"seq={r['seq']} ts={r['ts']}",
                flush=True,
            )

    timer = threading.Timer(args.pair_for, stop.set) if args.pair_for else None
    restore = _stop_on_signals(stop)
    try:
        print(f"{hub}: pairing mode on {target.host}:{target.port}; Ctrl-C to stop", flush=True)
        if timer is not None:
            timer.daemon = True
            timer.start()
        counts = paired.run(
            stop,
            PAIR_ANNOUNCE_EVERY_S,
            PAIR_FIRE_EVERY_S,
            on_announce=announced,
            on_fire=fired,
        )
        paired.close()
    except PublishError as exc:
        with contextlib.suppress(PublishError):  # disconnect without waiting long for PUBACKs
            paired.close(timeout=1.0)
        print(f"telecare simulate: {exc}", file=sys.stderr)
        return 1
    finally:
        if timer is not None:
            timer.cancel()
        restore()
    print(f"{hub}: stopped: {counts.rounds} announcement rounds, {counts.events} events")
    return 0


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """Make SIGINT and SIGTERM set ``stop``; return what puts the previous handlers back."""
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
        except ValueError:  # not the main thread: the caller stops us with its own event
            break

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def _write_events_file(home: SimulatedHome, args: argparse.Namespace, path: Path) -> tuple[int, int]:
    path.parent.mkdir(parents=True, exist_ok=True)
    repeat = DuplicateChooser(args.duplicates, args.seed, home.hub)
    with Progress(f"{home.hub}: writing") as progress:
        written, repeated = write_events(path, progress.counting(home.events()), repeat)
    return written, repeated


def _write_files(
    home: SimulatedHome, args: argparse.Namespace, malformed: list[RawMessage]
) -> None:
    base = args.out_dir / home.hub
    written, repeated = _write_events_file(home, args, Path(f"{base}.events.jsonl"))
    truths = list(home.truth)
    if args.duplicates > 0:
        truths.append(
            duplicates_truth(
                home.hub, home.window_start, home.window_end, args.duplicates, repeated
            )
        )
    truths.extend(m.truth(home.hub) for m in malformed)
    write_truth(f"{base}.truth.jsonl", sorted(truths, key=lambda t: t.start))
    if malformed:
        write_raw_messages(f"{base}.malformed.jsonl", malformed)
    print(f"{home.hub} ({home.persona.name}): {written} events, {repeated} duplicates -> {base}")


def _household_json(home: SimulatedHome) -> str:
    return json.dumps(home.household, indent=2, ensure_ascii=False) + "\n"


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="telecare simulate")
    add_arguments(parser)
    return run(parser.parse_args(argv))
