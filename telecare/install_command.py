"""``telecare install``: commission a home from a terminal (the installers' API, for one person on site).

  telecare install create hub-0042 --name "Flat 3, Mill Lane" --timezone Europe/London
  telecare install pair hub-0042 --minutes 15           (sensors may announce themselves)
  telecare install status hub-0042                      (devices, live tests, the checklist; --json)
  telecare install name hub-0042 d-front --type contact --room front_door --label "Front door"
  telecare install test hub-0042 d-front --wait 60      ("Open the front door now"; waits for it)
  telecare install unpair hub-0042 m-old                (its history is kept)
  telecare install pair hub-0042 --stop
  telecare install go-live hub-0042                     (refused until the checklist passes)

Exit codes: 0 done; 1 not done yet (a test not seen in time, go-live refused by the checklist);
2 an error (unknown hub or device, a step that cannot be taken), with the reason on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from telecare import pairing
from telecare.config import Settings
from telecare.db import session_scope
from telecare.domain import DeviceType, HouseholdStatus, Room
from telecare.households import get_household_by_hub
from telecare.models import Household

Factory = sessionmaker[Session]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(title="install commands", metavar="ACTION")

    def action(name: str, summary: str, run_it: Any, device: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=summary)
        p.add_argument("hub")
        if device:
            p.add_argument("device")
        p.set_defaults(action=run_it)
        return p

    create = action("create", "create a home to commission (nothing reaches detection yet)", _create)
    create.add_argument("--name", required=True, help="the home's name, as responders will see it")
    create.add_argument("--timezone", default="UTC", help="IANA time zone (default UTC)")
    create.add_argument("--bridge", choices=pairing.BRIDGES, default="telecare",
                        help="how the hub speaks: our own MQTT contract or Zigbee2MQTT")
    create.add_argument("--bridge-topic", help="Zigbee2MQTT base topic (default zigbee2mqtt/<hub>)")
    create.add_argument("--learning-days", type=int, default=14, help="7 to 60 (default 14)")
    pair = action("pair", "start pairing mode (sensors may announce themselves), or --stop", _pair)
    pair.add_argument("--minutes", type=int, default=10, help="1 to 60 (default 10)")
    pair.add_argument("--stop", action="store_true", help="stop pairing mode now")
    status = action("status", "pairing mode, devices, live tests and the checklist", _status)
    status.add_argument("--json", action="store_true", help="print it as JSON")
    name = action("name", "name a device: its type, room and label", _name, device=True)
    name.add_argument("--type", required=True, choices=[t.value for t in DeviceType])
    name.add_argument("--room", required=True, choices=[r.value for r in Room])
    name.add_argument("--label", default="")
    test = action("test", "start a live test of a device and say what to do", _test, device=True)
    test.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                      help="wait this long for the device's event (exit 1 if it does not come)")
    action("unpair", "unpair a device (its history is kept)", _unpair, device=True)
    action("go-live", "take the home live: it starts learning (needs the checklist)", _go_live)


def run(args: argparse.Namespace) -> int:
    from telecare.cli import load_settings
    from telecare.db import command_database

    if not getattr(args, "action", None):
        print("choose an action; see telecare install --help", file=sys.stderr)
        return 2
    settings = load_settings()
    try:
        with command_database(settings.sqlalchemy_url) as factory:
            return args.action(factory, settings, args)
    except (pairing.PairingError, LookupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:  # a lost database, or a change made at the same time elsewhere
        print(f"error: database: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}", file=sys.stderr)
        return 2


def _now() -> datetime:
    return datetime.now(UTC)


def _household(session: Session, hub: str) -> Household:
    household = get_household_by_hub(session, hub)
    if household is None:
        raise LookupError(f"no household {hub!r}")
    return household


def _create(factory: Factory, settings: Settings, args: argparse.Namespace) -> int:
    with session_scope(factory) as session:
        household = pairing.create_household(
            session, args.hub, args.name.strip()[:200], args.timezone, bridge=args.bridge,
            bridge_topic=args.bridge_topic, learning_days=args.learning_days,
            reserved_prefix=settings.mqtt_topic_prefix)
    topic = f" on {household.bridge_topic}" if household.bridge_topic else ""
    print(f"created {household.hub} ({household.name}): {household.status}, bridge {household.bridge}{topic}")
    print(f"next: telecare install pair {args.hub}")
    return 0


def _pair(factory: Factory, _settings: Settings, args: argparse.Namespace) -> int:
    with session_scope(factory) as session:
        household = _household(session, args.hub)
        if args.stop:
            pairing.stop_pairing(household)
        else:
            until = pairing.start_pairing(session, household, _now(), timedelta(minutes=args.minutes))
    if args.stop:
        print(f"pairing mode off for {args.hub}")
        return 0
    print(f"pairing mode on for {args.hub} until {until:%H:%M:%S} UTC ({args.minutes} min): "
          "sensors may announce themselves now")
    return 0


def _status(factory: Factory, _settings: Settings, args: argparse.Namespace) -> int:
    from web.installer_api import commissioning_data

    now = _now()
    with session_scope(factory) as session:
        data = commissioning_data(session, _household(session, args.hub), now)
    if args.json:
        print(json.dumps(data, default=_iso, ensure_ascii=False, indent=2))
    else:
        print("\n".join(_status_lines(data, now)))
    return 0


def _iso(value: Any) -> str:
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _status_lines(data: dict[str, Any], now: datetime) -> list[str]:
    online = {True: "online", False: "OFFLINE", None: "never seen"}[data["hub_online"]]
    lines = [f"{data['name']} ({data['hub']}): {data['status']}, hub {online}"]
    if data["bridge"] != "telecare":
        error = f" (error: {data['bridge_error']})" if data["bridge_error"] else ""
        lines.append(f"bridge: {data['bridge']} on {data['bridge_topic']}{error}")
    if data["pairing"]:
        left = max(0, int((data["pairing_until"] - now).total_seconds()))
        lines.append(f"pairing mode: on, {left // 60} min {left % 60:02d} s left")
    else:
        lines.append("pairing mode: off")
    rows = [_device_fields(d) for d in data["devices"]]
    lines.append(f"devices ({len(rows)}, times UTC):" if rows else "devices: none yet")
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))] if rows else []
    lines += ["  " + "  ".join(f.ljust(w) for f, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.append("checklist:")
    lines += [f"  {'✓' if item['ok'] else '✗'} {item['text']}" for item in data["checklist"]]
    if data["status"] == HouseholdStatus.COMMISSIONING.value:
        lines.append("ready to go live" if data["ready"] else "not ready to go live")
    for r in data["refused"]:
        lines.append(f"refused {r['at']:%H:%M:%S}: {r['reason']} {r['detail']}".rstrip())
    return lines


def _device_fields(d: dict[str, Any]) -> list[str]:
    tested = ("testing" if d["test_started_at"] else "not tested") if d["tested_at"] is None \
        else f"tested {d['tested_at']:%H:%M:%S}"
    return [
        d["device"], d["pairing"], d["type"], d["room"], repr(d["label"]) if d["label"] else "-",
        d["model"] or "-", tested, "battery " + ("-" if d["battery"] is None else f"{d['battery']}%"),
        "link " + ("-" if d["link_quality"] is None else str(d["link_quality"])),
        f"seen {d['last_seen_at']:%Y-%m-%d %H:%M:%S}" if d["last_seen_at"] else "never seen",
    ]


def _name(factory: Factory, _settings: Settings, args: argparse.Namespace) -> int:
    with session_scope(factory) as session:
        device = pairing.find_device(session, _household(session, args.hub), args.device)
        pairing.name_device(session, device, DeviceType(args.type), Room(args.room), args.label.strip())
    print(f"named {device.key}: {device.type} in the {Room(device.room).label}"
          + (f" ({device.label})" if device.label else ""))
    print(f"next: telecare install test {args.hub} {args.device}")
    return 0


def _test(factory: Factory, _settings: Settings, args: argparse.Namespace) -> int:
    with session_scope(factory) as session:
        device = pairing.find_device(session, _household(session, args.hub), args.device)
        instruction = pairing.start_test(device, _now())
    print(instruction, flush=True)
    if args.wait <= 0:
        return 0
    deadline, pause = time.monotonic() + args.wait, threading.Event()
    while True:
        with session_scope(factory) as session:  # a fresh transaction each time sees ingest's writes
            household = _household(session, args.hub)
            status = pairing.commissioning(session, household, _now())
            progress = next((p for p in status.devices if p.device.key == args.device), None)
        if progress is None or progress.device.pairing != pairing.PairingState.PAIRED:
            raise pairing.PairingError("unpaired", f"{args.device} was unpaired during the test")
        if progress.tested:
            print(f"{args.device} tested: event received {progress.tested_at:%H:%M:%S} UTC")
            return 0
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            print(f"{args.device} not tested: no event from it within {args.wait:g} s", file=sys.stderr)
            return 1
        pause.wait(min(0.5, remaining))


def _unpair(factory: Factory, _settings: Settings, args: argparse.Namespace) -> int:
    with session_scope(factory) as session:
        pairing.unpair(session, pairing.find_device(session, _household(session, args.hub), args.device))
    print(f"unpaired {args.device} (its history is kept)")
    return 0


def _go_live(factory: Factory, _settings: Settings, args: argparse.Namespace) -> int:
    now = _now()
    with session_scope(factory) as session:
        household = _household(session, args.hub)
        status = pairing.commissioning(session, household, now)
        if household.status == HouseholdStatus.COMMISSIONING.value and not status.ready:
            print(f"{args.hub} cannot go live yet; the checklist is not complete:", file=sys.stderr)
            for item in status.checklist:
                if not item.ok:
                    print(f"  ✗ {item.text}", file=sys.stderr)
            return 1
        pairing.go_live(session, household, now)  # still refuses a live home, or a checklist now failing
    print(f"{args.hub} is live: learning the routine for {household.learning_days} days")
    return 0
