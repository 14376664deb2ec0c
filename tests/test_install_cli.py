"""``telecare install``: an installer commissions a home from a terminal.

The CLI runs in this process (``telecare.cli.main``) against a database of its own: a fresh SQLite
file, or a PostgreSQL schema of its own (the URL's ``options`` put the CLI's connections in it).
What the hub and its sensors would do (announce themselves, send events, report the hub online) is
written straight to the database with the storage functions and models, as ingest would.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from telecare import pairing
from telecare.cli import main
from telecare.db import make_engine, make_session_factory, session_scope
from telecare.domain import DeviceType
from telecare.models import Device, Event, Household
from tests.support import PG_URL

KIT = (  # (device, type, room, label)
    ("m-bed", "motion", "bedroom", "Bedroom"),
    ("m-kit", "motion", "kitchen", "Kitchen"),
    ("m-bath", "motion", "bathroom", "Bathroom"),
    ("d-front", "contact", "front_door", "Front door"),
)


class Home:
    """The database the CLI writes to, seen from the hub's side."""

    def __init__(self, url: str, schema: str | None = None) -> None:
        self.engine = make_engine(url, schema=schema)
        self.factory = make_session_factory(self.engine)

    def household(self, hub: str) -> Household:
        with self.factory() as s:
            return s.scalar(select(Household).where(Household.hub == hub))

    def announce(self, hub: str, key: str, dtype: str, model: str = "Acme PIR-2") -> None:
        with session_scope(self.factory) as s:
            h = s.scalar(select(Household).where(Household.hub == hub))
            pairing.accept_announcement(s, h, key, DeviceType(dtype), model, datetime.now(UTC))

    def event(self, hub: str, key: str) -> None:
        now = datetime.now(UTC)
        with session_scope(self.factory) as s:
            d = s.scalar(select(Device).join(Household).where(Household.hub == hub, Device.key == key))
            s.add(Event(household_id=d.household_id, device_id=d.id, event_time=now, received_at=now,
                        value=1.0, dedup_key=f"t:{now.isoformat()}"))
            d.last_seen_at = now

    def hub_online(self, hub: str) -> None:
        with session_scope(self.factory) as s:
            s.scalar(select(Household).where(Household.hub == hub)).hub_online = True

    def events_of(self, hub: str, key: str) -> int:
        with self.factory() as s:
            return s.scalar(select(func.count()).select_from(Event).join(Device).join(Household)
                            .where(Household.hub == hub, Device.key == key))


@pytest.fixture(params=["sqlite", "postgres"])
def home(request, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("TELECARE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TELECARE_LOG_LEVEL", "WARNING")
    if request.param == "sqlite":
        monkeypatch.delenv("TELECARE_DATABASE_URL", raising=False)
        made = Home(f"sqlite:///{tmp_path / 'data' / 'telecare.sqlite3'}")
    else:
        schema = request.getfixturevalue("pg_schema")
        monkeypatch.setenv("TELECARE_DATABASE_URL", f"{PG_URL}?options=-csearch_path%3D{schema}")
        made = Home(PG_URL, schema=schema)
    yield made
    made.engine.dispose()


@pytest.fixture
def install(capsys):
    def run(*args: str) -> tuple[int, str, str]:
        code = main(["install", *args])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def new_home(install, hub="hub-7"):
    code, out, err = install("create", hub, "--name", "Flat 7, Mill Lane", "--timezone", "Europe/London")
    assert code == 0, err
    return out


def paired_kit(install, home, hub="hub-7"):
    assert install("pair", hub)[0] == 0
    for key, dtype, room, label in KIT:
        home.announce(hub, key, dtype)
        code, _, err = install("name", hub, key, "--type", dtype, "--room", room, "--label", label)
        assert code == 0, err


def test_a_new_home_is_commissioning_with_pairing_off_and_nothing_ticked(install, home):
    out = new_home(install)
    assert "created hub-7 (Flat 7, Mill Lane): commissioning" in out
    assert home.household("hub-7").status == "commissioning"
    code, out, _ = install("status", "hub-7")
    assert code == 0
    assert "Flat 7, Mill Lane (hub-7): commissioning, hub never seen" in out
    assert "pairing mode: off" in out and "devices: none yet" in out
    assert "✗ Kitchen covered: no sensor there yet" in out and "✓" not in out.split("checklist:")[1][:20]
    assert "not ready to go live" in out
    code, _, err = install("create", "hub-7", "--name", "Again")
    assert (code, err) == (2, "error: a household with hub 'hub-7' already exists\n")


def test_creating_a_home_with_a_bad_time_zone_or_bridge_topic_says_why(install, home):
    code, _, err = install("create", "hub-8", "--name", "X", "--timezone", "Mars/Olympus")
    assert (code, err) == (2, "error: unknown time zone 'Mars/Olympus'\n")
    code, _, err = install("create", "hub-8", "--name", "X", "--bridge", "zigbee2mqtt",
                           "--bridge-topic", "telecare/hub-8")
    assert code == 2 and err.startswith("error: the base topic must not be under") and "\n" == err[-1]
    assert err.count("\n") == 1
    code, _, err = install("create", "hub-8", "--name", "X", "--learning-days", "3")
    assert (code, err) == (2, "error: learning days must be from 7 to 60\n")
    code, out, _ = install("create", "hub-8", "--name", "X", "--bridge", "zigbee2mqtt")
    assert code == 0 and "bridge zigbee2mqtt on zigbee2mqtt/hub-8" in out


def test_pairing_is_refused_for_an_unknown_hub_with_a_clear_message(install, home):
    code, out, err = install("pair", "hub-nowhere")
    assert (code, out, err) == (2, "", "error: no household 'hub-nowhere'\n")
    new_home(install)
    code, _, err = install("pair", "hub-7", "--minutes", "90")
    assert (code, err) == (2, "error: pairing mode lasts from 1 to 60 minutes\n")


def test_pairing_mode_opens_for_a_while_and_can_be_stopped(install, home):
    new_home(install)
    code, out, _ = install("pair", "hub-7", "--minutes", "15")
    assert code == 0 and "pairing mode on for hub-7 until" in out
    assert "pairing mode: on, 14 min" in install("status", "hub-7")[1]
    status = json.loads(install("status", "hub-7", "--json")[1])
    assert status["pairing"] is True
    until = datetime.fromisoformat(status["pairing_until"])
    assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15)
    assert install("pair", "hub-7", "--stop")[:2] == (0, "pairing mode off for hub-7\n")
    assert home.household("hub-7").pairing_until is None


def test_a_named_and_tested_sensor_shows_tested_in_the_status(install, home):
    new_home(install)
    install("pair", "hub-7")
    home.announce("hub-7", "d-front", "contact", model="Acme DW-1")
    out = install("status", "hub-7")[1]
    assert "d-front  new  contact  other  -  Acme DW-1  not tested" in out
    assert "✗ Waiting for a name (or to be unpaired)" in out
    code, out, _ = install("name", "hub-7", "d-front", "--type", "contact", "--room", "front_door",
                           "--label", "Front door")
    assert code == 0 and "named d-front: contact in the front door (Front door)" in out
    code, out, _ = install("test", "hub-7", "d-front")
    assert (code, out) == (0, "Open the front door now\n")
    assert "testing" in install("status", "hub-7")[1]
    home.event("hub-7", "d-front")  # the installer opens the door
    out = install("status", "hub-7")[1]
    line = next(line for line in out.splitlines() if "d-front" in line)
    assert "paired  contact  front_door  'Front door'  Acme DW-1  tested " in line and "never seen" not in line
    [device] = json.loads(install("status", "hub-7", "--json")[1])["devices"]
    assert device["device"] == "d-front" and device["tested_at"] is not None
    assert datetime.fromisoformat(device["tested_at"]) >= datetime.fromisoformat(device["test_started_at"])


def test_waiting_for_a_test_ends_when_the_sensor_fires_or_the_time_is_up(install, home):
    new_home(install)
    paired_kit(install, home)
    code, out, err = install("test", "hub-7", "m-kit", "--wait", "1")
    assert code == 1 and out == "Walk into the kitchen now\n"
    assert err == "m-kit not tested: no event from it within 1 s\n"
    timer = threading.Timer(0.8, home.event, ("hub-7", "m-kit"))  # someone walks in a moment later
    timer.start()
    try:
        code, out, err = install("test", "hub-7", "m-kit", "--wait", "20")
    finally:
        timer.join()
    assert code == 0, err
    assert out.startswith("Walk into the kitchen now\nm-kit tested: event received ")


def test_testing_an_unnamed_or_unknown_sensor_says_what_to_do_first(install, home):
    new_home(install)
    install("pair", "hub-7")
    home.announce("hub-7", "m-new", "motion")
    code, _, err = install("test", "hub-7", "m-new")
    assert (code, err) == (2, "error: name the device (type and room) before testing it\n")
    code, _, err = install("name", "hub-7", "m-ghost", "--type", "motion", "--room", "hallway")
    assert (code, err) == (2, "error: no device 'm-ghost' in this home\n")


def test_go_live_is_refused_with_the_missing_items_then_accepted_once_the_checklist_passes(install, home):
    new_home(install)
    code, out, err = install("go-live", "hub-7")
    assert code == 1 and out == ""
    assert err.splitlines()[0] == "hub-7 cannot go live yet; the checklist is not complete:"
    assert "  ✗ Bedroom covered: no sensor there yet" in err.splitlines()
    assert "  ✗ Hub not online: check its power and network" in err.splitlines()

    paired_kit(install, home)
    for key, *_ in KIT:
        assert install("test", "hub-7", key)[0] == 0
        home.event("hub-7", key)
    code, _, err = install("go-live", "hub-7")
    assert code == 1 and err.splitlines()[1:] == ["  ✗ Hub not online: check its power and network"]
    assert home.household("hub-7").status == "commissioning"

    home.hub_online("hub-7")
    out = install("status", "hub-7")[1]
    assert "✗" not in out and "ready to go live" in out and "✓ Every sensor tested" in out
    code, out, err = install("go-live", "hub-7")
    assert (code, out) == (0, "hub-7 is live: learning the routine for 14 days\n"), err
    household = home.household("hub-7")
    assert household.status == "learning" and household.live_at is not None
    code, _, err = install("go-live", "hub-7")
    assert (code, err) == (2, "error: this home is not being commissioned (it is learning)\n")


def test_unpairing_a_sensor_takes_it_out_of_the_home_but_keeps_its_events(install, home):
    new_home(install)
    paired_kit(install, home)
    install("test", "hub-7", "m-bath")
    home.event("hub-7", "m-bath")
    assert install("unpair", "hub-7", "m-bath")[:2] == (0, "unpaired m-bath (its history is kept)\n")
    assert home.events_of("hub-7", "m-bath") == 1
    status = json.loads(install("status", "hub-7", "--json")[1])
    assert "m-bath" not in {d["device"] for d in status["devices"]}
    assert {"code": "bathroom", "ok": False, "text": "Bathroom or toilet covered: no sensor there yet"} \
        in status["checklist"]
    code, _, err = install("test", "hub-7", "m-bath")
    assert (code, err) == (2, "error: name the device (type and room) before testing it\n")


def test_an_unreachable_database_is_one_line_on_stderr_not_a_traceback(install, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELECARE_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/test")
    code, out, err = install("status", "hub-7")
    assert (code, out) == (2, "")
    assert err.startswith("error: database: ") and err.count("\n") == 1 and "Traceback" not in err
