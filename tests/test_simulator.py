"""The simulator without a broker: daily life, scenarios and ground truth, files, the command."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from statistics import mean
from zoneinfo import ZoneInfo

import pytest

from simulator.command import main
from simulator.eventsfile import read_events, read_truth, write_events
from simulator.homes import standard_home
from simulator.personas import PERSONAS
from simulator.publisher import Pacer
from simulator.scenarios import PERSON_DRIVEN, Fall
from simulator.simulation import SimulatedHome, build_homes
from telecare.clock import AcceleratedClock
from telecare.domain import DeviceType
from telecare.households import parse_household
from tests.support import KASTEREN

LONDON = ZoneInfo("Europe/London")
KASTEREN_B = KASTEREN / "houseB.household.json"


def home(
    persona: str = "homebody", days: int = 7, scenarios=(), seed: int = 1, start=date(2026, 1, 5)
) -> SimulatedHome:
    household = standard_home("sim-test", "Test home")
    return SimulatedHome(household, PERSONAS[persona], start, days, seed, tuple(scenarios))


def local(event: dict) -> datetime:
    return datetime.fromisoformat(event["ts"]).astimezone(LONDON)


def person_events(events: list[dict]) -> list[dict]:
    return [e for e in events if DeviceType(e["type"]) in PERSON_DRIVEN]


def state_at(events: list[dict], device: str, when: datetime) -> bool:
    """A binary device's state at ``when``: its last reading at or before then."""
    values = [
        e["value"]
        for e in events
        if e["device"] == device and datetime.fromisoformat(e["ts"]) <= when
    ]
    return bool(values and values[-1])


def getting_up(events: list[dict], day: date) -> datetime:
    """The morning's getting-up: the bed's last release before 14:00 (earlier: toilet trips)."""
    return max(
        local(e)
        for e in events
        if e["device"] == "bed"
        and e["value"] is False
        and local(e).date() == day
        and local(e).hour < 14
    )


def test_standard_home_is_a_valid_household_file():
    spec = parse_household(standard_home("sim-001", "Mrs Example"))
    kinds = {d.type for d in spec.devices}
    assert kinds == set(DeviceType)  # every device type the service knows is exercised
    assert {"m-kitchen", "bed", "door-front", "btn-help", "fall"} <= {d.id for d in spec.devices}
    assert spec.timezone == "Europe/London"


def test_same_seed_gives_identical_events_file(tmp_path):
    for name in ("a", "b"):
        write_events(tmp_path / name, home(days=5, scenarios=[Fall(day=2)]).events())
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()
    write_events(tmp_path / "c", home(days=5, seed=2, scenarios=[Fall(day=2)]).events())
    assert (tmp_path / "c").read_bytes() != (tmp_path / "a").read_bytes()


def test_events_follow_the_mqtt_contract():
    household = standard_home("sim-test", "Test home")
    types = {d["id"]: d["type"] for d in household["devices"]}
    events = list(home(days=3).events())
    assert [e["ts"] for e in events] == sorted(
        (e["ts"] for e in events), key=datetime.fromisoformat
    )
    seq: Counter[str] = Counter()
    state: dict[str, bool] = {}
    for e in events:
        assert datetime.fromisoformat(e["ts"]).utcoffset() is not None and e["ts"].endswith(
            "+00:00"
        )
        assert e["type"] == types[e["device"]]
        seq[e["device"]] += 1
        assert e["seq"] == seq[e["device"]]
        assert "battery" not in e or (isinstance(e["battery"], int) and 0 <= e["battery"] <= 100)
        if DeviceType(e["type"]).is_binary:
            assert isinstance(e["value"], bool)
            assert state.get(e["device"], False) != e["value"], (
                f"{e['device']} repeats {e['value']}"
            )
            state[e["device"]] = e["value"]
        else:
            assert isinstance(e["value"], float)


def test_thirty_days_of_three_homes_take_well_under_a_few_seconds():
    began = time.perf_counter()
    total = sum(1 for h in build_homes(3, seed=5, days=30) for _ in h.events())
    assert time.perf_counter() - began < 3.0
    assert total > 30 * 3 * 200  # a lived-in home, not a trickle


def test_resident_sleeps_in_bed_at_night_and_is_up_in_the_afternoon():
    events = list(home(days=14).events())
    nights = [datetime(2026, 1, 5, 3, 0, tzinfo=LONDON) + timedelta(days=d) for d in range(14)]
    assert not any(state_at(events, "bed", night + timedelta(hours=12)) for night in nights)
    # 03:00 may fall during a night toilet trip, but most nights it does not.
    assert sum(state_at(events, "bed", night) for night in nights) >= 12


def test_night_toilet_trips_appear_at_night():
    events = list(home("homebody", days=14).events())
    night_flushes = [
        e for e in events if e["device"] == "flush" and e["value"] and local(e).hour < 6
    ]
    assert len(night_flushes) >= 14  # the homebody persona averages 1.8 a night
    for flush in night_flushes[:5]:  # each trip starts by getting out of bed shortly before
        before = [e for e in events if e["device"] == "bed" and e["ts"] < flush["ts"]]
        assert before[-1]["value"] is False
        assert datetime.fromisoformat(flush["ts"]) - datetime.fromisoformat(
            before[-1]["ts"]
        ) < timedelta(minutes=10)


def test_personas_live_different_lives():
    days = [date(2026, 1, 5) + timedelta(days=d) for d in range(28)]
    got_up = {}
    outings = {}
    for name in ("early_riser", "night_owl", "homebody"):
        events = list(home(name, days=28).events())
        got_up[name] = mean(
            getting_up(events, d).hour + getting_up(events, d).minute / 60 for d in days
        )
        outings[name] = sum(1 for e in events if e["device"] == "door-front" and e["value"]) / 2
    assert got_up["early_riser"] < got_up["homebody"] < got_up["night_owl"]
    assert outings["homebody"] < outings["night_owl"] < outings["early_riser"]


def test_weekend_mornings_start_later():
    events = list(home("night_owl", days=28).events())
    days = [date(2026, 1, 5) + timedelta(days=d) for d in range(28)]
    hour = {d: getting_up(events, d).hour + getting_up(events, d).minute / 60 for d in days}
    assert (
        mean(h for d, h in hour.items() if d.weekday() >= 5)
        > mean(h for d, h in hour.items() if d.weekday() < 5) + 0.4
    )


def test_routine_keeps_to_the_local_clock_across_the_clock_change():
    events = list(
        home("early_riser", days=14, start=date(2026, 3, 23)).events()
    )  # BST starts 29 March
    before = [getting_up(events, date(2026, 3, 23) + timedelta(days=d)) for d in range(5)]
    after = [getting_up(events, date(2026, 3, 30) + timedelta(days=d)) for d in range(5)]
    assert (
        abs(
            mean(t.hour * 60 + t.minute for t in before)
            - mean(t.hour * 60 + t.minute for t in after)
        )
        < 40
    )
    assert {t.utcoffset() for t in after} == {timedelta(hours=1)}


def test_house_is_silent_while_the_resident_is_out():
    events = list(home("early_riser", days=14).events())
    opens = [e for e in events if e["device"] == "door-front" and e["value"]]
    assert len(opens) >= 8
    for leave, back in zip(opens[::2], opens[1::2]):
        inside = [
            e
            for e in person_events(events)
            if leave["ts"] < e["ts"] < back["ts"] and e["value"] is not False
        ]
        assert [e["device"] for e in inside] in (
            [],
            ["m-hallway"],
        )  # only the PIR seeing them leave


def test_temperature_is_reported_every_half_hour_around_twenty_degrees():
    readings = [e for e in home(days=2).events() if e["device"] == "temp-living"]
    assert 94 <= len(readings) <= 96
    assert all(18.5 <= r["value"] <= 21.5 for r in readings)


def test_resident_is_never_in_bed_and_in_the_armchair_at_once():
    occupied = {"bed": False, "chair": False}
    for e in home("night_owl", days=14).events():
        if e["device"] in occupied:
            occupied[e["device"]] = e["value"]
            assert not all(occupied.values()), e


def test_daily_life_plays_out_in_a_real_home_layout():
    if not KASTEREN_B.exists():
        pytest.skip("Kasteren house B household file not present")
    household = json.loads(KASTEREN_B.read_text())
    events = list(SimulatedHome(household, PERSONAS["early_riser"], days=7).events())
    used = {e["device"] for e in events}
    assert used <= {d["id"] for d in household["devices"]}
    assert {"s12", "s6", "s7"} <= used  # bed mat, toilet flush, front door


def test_command_writes_household_events_and_truth_per_home(tmp_path, capsys):
    args = [
        "--homes",
        "2",
        "--days",
        "3",
        "--out-dir",
        str(tmp_path),
        "--scenario",
        "fall@2T15:00",
        "--duplicates",
        "0.02",
        "--malformed",
        "9",
    ]
    assert main(args) == 0
    for hub in ("sim-001", "sim-002"):
        assert (
            parse_household(json.loads((tmp_path / f"{hub}.household.json").read_text())).hub == hub
        )
        kinds = Counter(t.kind for t in read_truth(tmp_path / f"{hub}.truth.jsonl"))
        assert kinds == {"fall": 1, "duplicate": 1, "malformed": 9}
        assert sum(1 for _ in read_events(tmp_path / f"{hub}.events.jsonl")) > 500
    first = (tmp_path / "sim-001.events.jsonl").read_bytes()
    assert main(args) == 0 and (tmp_path / "sim-001.events.jsonl").read_bytes() == first
    assert "sim-002 (night_owl)" in capsys.readouterr().out


def test_command_rejects_a_bad_scenario(capsys):
    assert main(["--scenario", "fall@9", "--days", "3"]) == 2
    assert "outside days" in capsys.readouterr().err


def test_simulator_does_not_import_the_service_internals():
    code = (
        "import sys, simulator.command, simulator.simulation, simulator.publisher;"
        "internals = ('ingest', 'detection', 'alerts', 'web', 'telecare.models', 'telecare.db');"
        "bad = [m for m in internals if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pacer_holds_events_until_the_accelerated_clock_reaches_them():
    start = datetime(2026, 1, 5, tzinfo=UTC)
    pacer = Pacer(AcceleratedClock(start, speed=600))  # a simulated minute every 0.1 s
    began = time.monotonic()
    for minute in (0, 1, 2):
        assert pacer.wait_until(start + timedelta(minutes=minute))
    assert 0.19 <= time.monotonic() - began < 2.0
    assert Pacer(None).wait_until(start + timedelta(days=365))  # speed 0: never waits


def test_pacer_stops_waiting_when_told():
    stop = threading.Event()
    pacer = Pacer.at_speed(datetime(2026, 1, 5, tzinfo=UTC), 1.0, stop)
    threading.Timer(0.05, stop.set).start()
    began = time.monotonic()
    assert pacer.wait_until(datetime(2026, 1, 6, tzinfo=UTC)) is False
    assert time.monotonic() - began < 2.0


def test_pacer_spaces_events_out_to_a_maximum_rate():
    pacer = Pacer(max_rate=100)  # no clock: only the rate holds events back
    began = time.monotonic()
    assert all(pacer.wait_until(datetime(2026, 1, 5, tzinfo=UTC)) for _ in range(11))
    assert 0.09 <= time.monotonic() - began < 2.0


def test_simulate_out_writes_one_events_file_per_home_that_the_contract_accepts(tmp_path):
    from simulator.command import main

    out = tmp_path / "month.jsonl"
    assert main(["--homes", "1", "--days", "2", "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines and all({"device", "ts", "value"} <= json.loads(line).keys() for line in lines)
    assert main(["--homes", "2", "--days", "1", "--out", str(out)]) == 0
    assert (tmp_path / "month.sim-001.jsonl").exists() and (tmp_path / "month.sim-002.jsonl").exists()
