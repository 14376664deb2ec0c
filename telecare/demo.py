"""``telecare demo``: the whole service on embedded defaults, with simulated homes, in one command.

It starts the embedded broker, SQLite, detection, alerts and the web app, plays three simulated homes
on an accelerated clock shared with the service (a simulated hour passes in a minute at the default
speed), injects a help-button press and a fall, prints every alert as it is raised, and prints the
address to open in a browser.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from ingest.broker import free_port, port_free
from simulator.fleet import publish_homes
from simulator.publisher import Pacer
from simulator.scenarios import parse_scenario
from simulator.simulation import DEFAULT_TIMEZONE, build_homes
from telecare.accounts import create_user
from telecare.broker_address import BrokerAddress
from telecare.clock import AcceleratedClock
from telecare.config import DEFAULT_SECRET, Settings
from telecare.db import session_scope
from telecare.households import parse_household, upsert_household
from telecare.logs import configure_logging

HELP_AFTER = timedelta(minutes=10)  # simulated time after the start
FALL_AFTER = timedelta(minutes=25)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--homes", type=int, default=3, help="simulated homes (default 3, at least 2)")
    parser.add_argument("--speed", type=float, default=60.0,
                        help="simulated seconds per real second (default 60)")
    parser.add_argument("--duration", type=float, default=0.0,
                        help="stop after this many real seconds (default: run until Ctrl-C)")
    parser.add_argument("--seed", default="demo", help="simulation seed")


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    settings = _demo_settings(settings)

    from telecare.runtime import TelecareService, print_alert_changes

    tz = ZoneInfo(DEFAULT_TIMEZONE)
    start = datetime.now(UTC).replace(microsecond=0)
    clock = AcceleratedClock(start, args.speed)
    homes = _homes(max(args.homes, 2), args.seed, start, tz)

    service = TelecareService(settings, clock=clock, listeners=[print_alert_changes])
    service.start()
    password = secrets.token_urlsafe(9)  # one-off, printed below: the demo database is fresh each run
    with session_scope(service.factory) as session:
        ids = [upsert_household(session, parse_household(home.household))[0].id for home in homes]
        create_user(session, "responder", password, "responder", display_name="Demo responder",
                    households=ids)
        create_user(session, "family", password, "family", display_name="Demo family",
                    households=ids[:1])
    if not service.wait_ready(20):
        print("error: the service did not become ready", flush=True)
        service.stop()
        return 1

    stop = threading.Event()
    target = BrokerAddress(service.broker.host, service.broker.port)
    protocol = "3.1.1" if settings.uses_embedded_broker else "5"
    publisher = threading.Thread(
        target=publish_homes,
        args=(homes, target),
        kwargs={"protocol": protocol, "topic_prefix": settings.mqtt_topic_prefix,
                "pacer": Pacer(clock, stop)},
        name="demo-simulator",
        daemon=True,
    )
    publisher.start()
    url = f"http://{settings.http_host}:{settings.http_port}"
    print(
        f"\nTelecare demo running: {len(homes)} simulated homes at x{args.speed:g} speed.\n"
        f"  Open {url}/login in a browser and sign in as 'responder' (the live console) or\n"
        f"  'family' (the reassurance feed of the first home), password: {password}\n"
        f"  API:   curl -H 'Authorization: Bearer <token>' {url}/api/alerts\n"
        f"  token: {settings.api_token.get_secret_value()}  (the operations token: administrator)\n"
        f"  A help-button press comes in about {HELP_AFTER / timedelta(minutes=1) * 60 / args.speed:.0f} s "
        f"from now, a fall about {FALL_AFTER / timedelta(minutes=1) * 60 / args.speed:.0f} s from now.\n"
        "  Press Ctrl-C to stop.\n",
        flush=True,
    )
    try:
        _wait(args.duration)
    finally:
        stop.set()
        publisher.join(10)
        service.stop()
    return 0


def _demo_settings(settings: Settings) -> Settings:
    """A fresh demo database, free ports, and a one-off access token if none was configured."""
    data_dir = settings.data_dir / "demo"
    shutil.rmtree(data_dir, ignore_errors=True)
    update: dict = {"data_dir": data_dir}
    if settings.api_token.get_secret_value() == DEFAULT_SECRET:
        update["api_token"] = SecretStr(secrets.token_urlsafe(18))
    if settings.uses_embedded_broker and not port_free(settings.embedded_mqtt_host, settings.embedded_mqtt_port):
        update["embedded_mqtt_port"] = 0  # the broker picks a free one
    if not port_free(settings.http_host, settings.http_port):
        update["http_port"] = free_port(settings.http_host)
    return settings.model_copy(update=update)


def _homes(count: int, seed: str, start: datetime, tz: ZoneInfo) -> list:
    local = start.astimezone(tz)
    first_day = local.date() - timedelta(days=1)  # yesterday: the homes have some history

    def spec(home: int, kind: str, after: timedelta) -> tuple:
        when = (start + after).astimezone(tz)
        day = (when.date() - first_day).days + 1
        return parse_scenario(f"{home}/{kind}@{day}T{when:%H:%M}")

    return build_homes(
        count,
        seed=seed,
        start=first_day,
        days=4,
        scenarios=[spec(1, "help_request", HELP_AFTER), spec(2, "fall", FALL_AFTER)],
        timezone=str(tz),
    )


def _wait(duration: float) -> None:
    from telecare.cli import wait_for_signal

    if duration <= 0:
        wait_for_signal()
        return
    stop = threading.Event()
    deadline = time.monotonic() + duration
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait(max(0.0, deadline - time.monotonic()))
