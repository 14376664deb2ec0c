"""The ``telecare`` command. Thin: it parses arguments and wires the packages together."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence

from telecare.config import Settings
from telecare.logs import configure_logging

log = logging.getLogger("telecare")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="telecare", description=__doc__)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the service (ingest, detection, alerts, web)")
    serve.set_defaults(handler=_serve)

    household = sub.add_parser("household", help="manage households")
    hsub = household.add_subparsers(title="household commands", metavar="ACTION")
    imp = hsub.add_parser("import", help="create or update households from household files")
    imp.add_argument("files", nargs="+", metavar="FILE", help="household JSON file(s)")
    imp.set_defaults(handler=_household_import)
    lst = hsub.add_parser("list", help="list households")
    lst.set_defaults(handler=_household_list)

    from alerts import command as alerts_command

    contact = sub.add_parser("contact", help="manage a household's care circle (add, list, remove)")
    alerts_command.add_contact_arguments(contact)
    channel = sub.add_parser("channel", help="test notification channels")
    alerts_command.add_channel_arguments(channel)
    for p in (contact, channel):
        p.set_defaults(handler=_with_settings)

    from detection import evaluate, replay
    from simulator import command as simulate
    from telecare import demo, install_command, user_command

    # Commands that live with their package: each module has add_arguments(parser) and run(args).
    for name, module, summary in (
        ("simulate", simulate, "simulate homes: write events files or publish over MQTT like real hubs"),
        ("replay", replay, "run detection over an events file; alerts as JSON Lines on stdout"),
        ("evaluate", evaluate, "score detection against injected anomalies (simulated and real homes)"),
        ("demo", demo, "run everything on embedded defaults with simulated homes and injected alerts"),
        ("user", user_command, "manage users: the first admin, responders, family, installers, tokens"),
        ("install", install_command, "commission a home: pair, name and test its sensors, take it live"),
    ):
        command = sub.add_parser(
            name, help=summary, description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(command)
        command.set_defaults(handler=module.run)
    return parser


def load_settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    return settings


def _with_settings(args: argparse.Namespace) -> int:
    """Run an ``alerts.command`` action (``args.func``) with the loaded settings."""
    if not getattr(args, "func", None):
        print("choose an action; see --help", file=sys.stderr)
        return 2
    return args.func(args, load_settings())


def _serve(_args: argparse.Namespace) -> int:
    from telecare.runtime import TelecareService, print_alert_changes

    settings = load_settings()
    service = TelecareService(settings, listeners=[print_alert_changes])
    service.start()
    print(f"telecare serving on http://{settings.http_host}:{settings.http_port}", flush=True)
    wait_for_signal()
    service.stop()
    return 0


def wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


def _household_import(args: argparse.Namespace) -> int:
    from telecare.db import command_database, session_scope
    from telecare.households import (
        HouseholdFileError,
        load_household_file,
        upsert_household,
    )

    settings = load_settings()
    try:
        specs = [load_household_file(f) for f in args.files]
    except (HouseholdFileError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    with command_database(settings.sqlalchemy_url) as factory, session_scope(factory) as session:
        for spec in specs:
            _household, created = upsert_household(session, spec)
            verb = "created" if created else "updated"
            print(f"{verb} household {spec.hub} with {len(spec.devices)} devices")
    return 0


def _household_list(_args: argparse.Namespace) -> int:
    from telecare.db import command_database
    from web.queries import list_households

    settings = load_settings()
    with command_database(settings.sqlalchemy_url) as factory, factory() as session:
        for h in list_households(session):
            online = {True: "online", False: "OFFLINE", None: "never seen"}[h["hub_online"]]
            print(f"{h['hub']:<20} {h['status']:<12} devices={h['devices']:<3} hub {online}"
                  f"  open alerts={h['open_alerts']}")
    return 0
