"""Scenarios with ground truth, and the ingest-level faults (duplicates, malformed messages)."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from simulator.eventsfile import read_events, write_events
from simulator.faults import MALFORMED_REASONS, DuplicateChooser, malformed_messages
from simulator.homes import standard_home
from simulator.personas import PERSONAS
from simulator.scenarios import PERSON_DRIVEN, DeviceOffline, Fall, NotUp, parse_scenario
from simulator.simulation import SimulatedHome, build_homes
from telecare.domain import DeviceType

LONDON = ZoneInfo("Europe/London")


def home(persona: str = "homebody", scenarios=(), days: int = 7, seed: int = 1) -> SimulatedHome:
    household = standard_home("sim-test", "Test home")
    return SimulatedHome(
        household, PERSONAS[persona], date(2026, 1, 5), days, seed, tuple(scenarios)
    )


def when(event: dict) -> datetime:
    return datetime.fromisoformat(event["ts"])


def person_events(events: list[dict]) -> list[dict]:
    """Readings from sensors a person makes fire (not the thermometer or hazard detectors)."""
    return [e for e in events if DeviceType(e["type"]) in PERSON_DRIVEN]


def test_help_request_presses_and_releases_the_button():
    h = home(scenarios=[parse_scenario("help_request@2T10:00")[1]])
    presses = [(when(e), e["value"]) for e in h.events() if e["device"] == "btn-help"]
    pressed = datetime(2026, 1, 6, 10, tzinfo=LONDON)
    assert presses == [(pressed, True), (pressed + timedelta(seconds=2), False)]
    assert [(t.kind, t.start) for t in h.truth] == [("help_request", pressed)]


def test_fall_is_followed_by_silence():
    h = home("homebody", scenarios=[parse_scenario("fall@3T14:20")[1]])
    events = list(h.events())
    (truth,) = h.truth
    assert truth.kind == "fall" and truth.end - truth.start >= timedelta(hours=4)
    fall = next(e for e in events if e["device"] == "fall")
    assert fall["value"] is True and when(fall) == truth.start
    during = person_events([e for e in events if truth.start <= when(e) < truth.end])
    # Mats and sensors still on are released at the moment of the fall; nothing after that.
    assert all(e["value"] is False and when(e) == truth.start for e in during)
    assert any(e["device"] == "temp-living" and when(e) > truth.start for e in events)
    assert any(when(e) >= truth.end for e in person_events(events))  # life resumes afterwards


def test_not_up_keeps_the_resident_in_bed_past_their_usual_time():
    h = home("early_riser", scenarios=[NotUp(day=4)])
    events = list(h.events())
    (truth,) = h.truth
    assert truth.start == datetime(2026, 1, 8, 6, 15, tzinfo=LONDON)  # a Thursday: usual 06:15
    assert truth.end == truth.start + timedelta(minutes=210)
    assert not [e for e in person_events(events) if truth.start <= when(e) < truth.end]
    bed = [(when(e), e["value"]) for e in events if e["device"] == "bed"]
    assert [v for t, v in bed if t < truth.start][-1] is True  # in bed all along
    assert (truth.end, False) in bed  # and up at the end


def test_night_wandering_opens_the_front_door_at_night():
    h = home("homebody", scenarios=[parse_scenario("night_wandering@5T02:30:40")[1]])
    events = list(h.events())
    (truth,) = h.truth
    assert truth.start == datetime(2026, 1, 9, 2, 30, tzinfo=LONDON)
    door = [when(e) for e in events if e["device"] == "door-front" and e["value"]]
    assert truth.start in door and truth.end in door
    assert truth.end - truth.start == timedelta(minutes=40)
    got_up = [e for e in events if e["device"] == "bed" and when(e) < truth.start][-1]
    assert got_up["value"] is False and truth.start - when(got_up) < timedelta(minutes=5)
    away = [e for e in person_events(events) if truth.start + timedelta(minutes=1) < when(e)]
    assert all(when(e) >= truth.end for e in away if e["value"])  # nobody home meanwhile


def test_night_up_gets_the_resident_out_of_bed_and_into_the_kitchen_at_night():
    h = home("homebody", scenarios=[parse_scenario("night_up@5T02:30:40")[1]])
    events = list(h.events())
    (truth,) = h.truth
    assert (truth.kind, truth.start, truth.end - truth.start) == (
        "night_up", datetime(2026, 1, 9, 2, 30, tzinfo=LONDON), timedelta(minutes=40))
    got_up = [e for e in events if e["device"] == "bed" and when(e) < truth.start][-1]
    assert got_up["value"] is False and truth.start - when(got_up) < timedelta(minutes=5)
    kitchen = [when(e) for e in events if e["device"] == "m-kitchen" and e["value"]
               and truth.start <= when(e) <= truth.end]
    assert kitchen and max(b - a for a, b in itertools.pairwise(kitchen)) < timedelta(minutes=15)
    assert kitchen[-1] - kitchen[0] >= timedelta(minutes=30)  # up and about there, not a drink


def test_long_bathroom_stay_keeps_the_resident_in_the_bathroom():
    h = home("homebody", scenarios=[parse_scenario("long_bathroom@6T09:30:80")[1]])
    (truth,) = h.truth
    inside = [
        e["device"]
        for e in person_events(list(h.events()))
        if truth.start + timedelta(minutes=2) <= when(e) < truth.end - timedelta(minutes=1)
        and e["value"]
    ]
    assert set(inside) <= {"m-bathroom", "flush"} and len(inside) >= 5


def test_device_offline_silences_one_device_and_not_the_others():
    h = home(scenarios=[DeviceOffline(day=3, at=time(12, 0), device="m-kitchen")])
    (truth,) = h.truth
    events = list(h.events())
    kitchen = [when(e) for e in events if e["device"] == "m-kitchen"]
    assert kitchen and max(kitchen) < truth.start and truth.detail == {"device": "m-kitchen"}
    living_after = [e for e in events if e["device"] == "m-living" and when(e) > truth.start]
    assert len(living_after) > 100


def test_scenario_syntax():
    assert parse_scenario("fall@3T14:20") == (None, Fall(day=3, at=time(14, 20)))
    assert parse_scenario("sim-002/not_up@4:180") == ("sim-002", NotUp(day=4, minutes=180))
    assert parse_scenario("device_offline@3T12:00:m-kitchen")[1].device == "m-kitchen"
    for bad in (
        "fall",
        "fall@x",
        "jump@3",
        "fall@3T25:00",
        "help_request@2:5",
        "long_bathroom@2:ten",
    ):
        with pytest.raises(ValueError):
            parse_scenario(bad)
    with pytest.raises(ValueError, match="outside days"):
        home(days=3, scenarios=[Fall(day=4)])
    with pytest.raises(ValueError, match="no device"):
        home(scenarios=[DeviceOffline(day=1, device="m-garage")])


def test_scenarios_can_target_one_home():
    homes = build_homes(3, scenarios=[parse_scenario("2/fall@3"), parse_scenario("help_request@1")])
    assert [[t.kind for t in h.truth] for h in homes] == [
        ["help_request"],
        ["help_request", "fall"],
        ["help_request"],
    ]


def test_duplicates_repeat_lines_identically(tmp_path):
    path = tmp_path / "events.jsonl"
    written, repeated = write_events(
        path, home(days=3).events(), DuplicateChooser(0.1, 1, "sim-test")
    )
    lines = path.read_text().splitlines()
    assert len(lines) == written + repeated and 0.06 < repeated / written < 0.14
    assert sum(1 for a, b in itertools.pairwise(lines) if a == b) == repeated
    assert next(read_events(path)) == json.loads(lines[0])


def test_malformed_messages_cover_every_reason():
    h = home()
    messages = malformed_messages(h.household, 9, h.window_start, h.window_end, seed=1)
    assert [m.reason for m in messages] == list(MALFORMED_REASONS)
    bad = {m.reason: m for m in messages}
    with pytest.raises(ValueError):
        json.loads(bad["not_json"].payload)
    parsed = {reason: json.loads(m.payload) for reason, m in bad.items() if reason != "not_json"}
    assert "ts" not in parsed["missing_ts"] and "value" not in parsed["missing_value"]
    with pytest.raises(ValueError):
        datetime.fromisoformat(parsed["bad_ts"]["ts"])
    assert not isinstance(parsed["bad_value_type"]["value"], (bool, int, float))
    types = {d["id"]: d["type"] for d in h.household["devices"]}
    assert bad["unknown_device"].topic_suffix.split("/")[0] not in types
    assert parsed["type_mismatch"]["type"] != types[bad["type_mismatch"].topic_suffix.split("/")[0]]
    assert len(bad["oversized"].payload) > 4096
    assert when(parsed["future_ts"]) - bad["future_ts"].at > timedelta(days=1)


def test_cold_home_cools_the_thermometer_while_the_heating_is_off_and_replay_raises_it(tmp_path):
    from detection.replay import drive, household_events, make_engine

    h = home(scenarios=[parse_scenario("cold_home@2T22:00:480")[1]], days=4)
    (truth,) = h.truth
    events = list(h.events())
    readings = [(when(e), e["value"]) for e in events if e["device"] == "temp-living"]
    during = [c for t, c in readings if truth.start + timedelta(hours=5) <= t < truth.end]
    assert during and max(during) <= 16.0  # five hours in: at least 4 °C down from ~20 °C
    assert all(c > 18.0 for t, c in readings if t >= truth.end + timedelta(minutes=30))
    spec, stream = household_events(h.household, events)
    signals = [(at, type(s).__name__) for at, s in drive(make_engine(), spec, stream) if s.kind.value == "cold_home"]
    assert [name for _, name in signals] == ["AlertSignal", "ClearSignal"]  # cleared when the heating is back
    raised = signals[0][0]
    assert truth.start + timedelta(hours=4) < raised < truth.start + timedelta(hours=7)


def _visits(h: SimulatedHome, activity=None, place=None) -> list[int]:
    """Per plan (plans[n] is day n until the next getting-up), the visits of that activity or place."""
    return [sum(1 for v in p.visits if (activity is None or v.activity == activity)
                and (place is None or v.place == place)) for p in h.plans()]


def test_a_week_of_night_toilet_increase_adds_two_trips_to_each_of_its_nights_only():
    plain = _visits(home(days=12), activity="night_toilet")
    more = _visits(home(days=12, scenarios=[parse_scenario("night_toilet_increase@3:7")[1]]), activity="night_toilet")
    assert [b - a for a, b in zip(plain, more)] == [0, 0, 0] + [2] * 7 + [0] * (len(plain) - 10)


def test_each_extra_night_toilet_trip_is_a_trip_of_its_own_not_part_of_another():
    # Two more trips a night, drawn anywhere in the night, came within minutes of the resident's own
    # trip (in the bathroom 04:08-04:13 and again from 04:11) on 29% of nights: one trip, not two more.
    extra = 0
    for seed in range(4):
        h = home(days=24, seed=seed, scenarios=[parse_scenario("night_toilet_increase@3:20")[1]])
        plain = {(v.start, v.end) for p in home(days=24, seed=seed).plans() for v in p.visits}
        bathroom = sorted((v.start, v.end, (v.start, v.end) not in plain)
                          for p in h.plans() for v in p.visits if v.place == "bathroom")
        for (s1, e1, new1), (s2, e2, new2) in itertools.pairwise(bathroom):
            if new1 or new2:
                assert s2 - e1 >= 30 * 60 * 1000, "an extra trip within half an hour of another visit"
        extra += sum(new for _, _, new in bathroom)
    assert extra == 4 * 20 * 2  # and every night still has its two


def test_a_night_toilet_increase_begins_with_its_first_night_not_the_morning_before():
    h = home(days=12, scenarios=[parse_scenario("night_toilet_increase@3:7")[1]])
    (truth,) = h.truth
    began = truth.start.timestamp() * 1000
    plain = {v.start for p in home(days=12).plans() for v in p.visits if v.activity == "night_toilet"}
    extra = sorted(v.start for p in h.plans() for v in p.visits if v.activity == "night_toilet" and v.start not in plain)
    assert truth.start == datetime(2026, 1, 8, tzinfo=LONDON)  # the midnight that ends day 3
    assert began <= extra[0] < began + 6 * 3600 * 1000  # its first extra trip is that night


def test_kitchen_decline_drops_most_kitchen_visits_from_its_first_day():
    plain = _visits(home(days=20), place="kitchen")
    fewer = _visits(home(days=20, scenarios=[parse_scenario("kitchen_decline@6")[1]]), place="kitchen")
    assert fewer[:6] == plain[:6]
    assert 0.2 < sum(fewer[6:21]) / sum(plain[6:21]) < 0.6  # 60% dropped, day by day at random


def test_activity_decline_means_fewer_errands_and_less_movement_in_the_living_room():
    plain, slower = home(days=20), home(days=20, scenarios=[parse_scenario("activity_decline@6")[1]])
    (truth,) = slower.truth
    assert truth.kind == "activity_decline" and truth.start == datetime(2026, 1, 10, tzinfo=LONDON)

    def living_triggers(h):
        return sum(1 for e in h.events() if e["device"] == "m-living" and e["value"] is True
                   and when(e) >= truth.start)

    assert living_triggers(slower) < 0.65 * living_triggers(plain)
    assert sum(_visits(slower, activity="drink")[6:]) < 0.6 * sum(_visits(plain, activity="drink")[6:])


def test_trend_scenarios_take_a_number_of_days():
    assert parse_scenario("kitchen_decline@20:7")[1].days == 7
    for bad in ("kitchen_decline@20:soon", "night_toilet_increase@3:0"):
        with pytest.raises(ValueError, match="a number of days"):
            parse_scenario(bad)
