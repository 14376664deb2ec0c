"""``telecare replay`` over a simulated month: alerts against the injected ground truth.

Everything runs on event time (a manual clock inside replay): a month takes about a second.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from simulator.eventsfile import write_events
from simulator.scenarios import parse_scenario
from simulator.simulation import build_homes
from telecare.cli import main

SCENARIOS = ["fall@18T15:00", "not_up@22", "night_wandering@25T02:30", "long_bathroom@27T11:00:80"]
# What the routine model should say for each injected scenario (the pendant's own fall alert aside).
EXPECTED = {"fall": "inactivity", "not_up": "not_up", "night_wandering": "night_wandering",
            "long_bathroom": "long_bathroom"}


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    [home] = build_homes(1, seed=3, days=30, personas=["homebody"],
                         scenarios=[parse_scenario(s) for s in SCENARIOS])
    directory = tmp_path_factory.mktemp("month")
    household = directory / "home.household.json"
    household.write_text(json.dumps(home.household), encoding="utf-8")
    events = directory / "home.events.jsonl"
    write_events(events, home.events())
    return household, events, home.truth


def replay(capsys, *args: str) -> list[dict]:
    assert main(["replay", *args]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_replay_of_a_simulated_month_raises_each_injected_anomaly_in_time(month, capsys):
    household, events, truth = month
    alerts = replay(capsys, "--household", str(household), str(events))
    for t in truth:
        wanted = EXPECTED[t.kind]
        hits = [a for a in alerts if a["kind"] == wanted
                and t.start <= datetime.fromisoformat(a["ts"]) <= t.start + timedelta(hours=4)]
        assert hits, f"no {wanted} alert for {t.kind} at {t.start}"
    behavioural = [a for a in alerts if a["category"] in ("acute", "trend") or a["kind"] == "inactivity"]
    explained = [
        a for a in behavioural
        if any(t.start - timedelta(hours=1) <= datetime.fromisoformat(a["ts"]) <= t.end + timedelta(hours=6)
               for t in truth)
    ]
    assert len(behavioural) - len(explained) <= 1  # at most one false alert in a month


def test_alerts_explain_themselves_with_the_learned_normal(month, capsys):
    household, events, _ = month
    alerts = replay(capsys, "--household", str(household), str(events))
    [inactivity] = [a for a in alerts if a["kind"] == "inactivity"]
    assert inactivity["summary"].startswith("No movement since 15:00 (")
    # The fall came just after getting up from the chair, which is always followed within a minute:
    # judged by that sign, with the learned normal behind it (days seen, longest quiet after it).
    assert "It began just after someone got up from the chair in the living room; on the " in inactivity["summary"]
    assert "days that happened in recent weeks, something else always followed within" in inactivity["summary"]
    assert inactivity["evidence"]["learned"] is True and inactivity["evidence"]["quiet_began"] == "after_sign"
    assert inactivity["evidence"]["spells"] >= 12 and inactivity["evidence"]["limit_minutes"] == 45
    assert inactivity["severity"] == "urgent"
    assert inactivity["key"] == "quiet-since:" + inactivity["evidence"]["quiet_since"]
    [not_up] = [a for a in alerts if a["kind"] == "not_up"]
    assert "Usually up by" in not_up["summary"] and "of the last" in not_up["summary"]


def test_replaying_the_same_file_twice_gives_identical_output(month, capsys):
    household, events, _ = month
    assert main(["replay", "--household", str(household), str(events), "--clears"]) == 0
    first = capsys.readouterr().out
    assert main(["replay", "--household", str(household), str(events), "--clears"]) == 0
    assert capsys.readouterr().out == first
    assert first.count("\n") >= 5


def test_during_learning_only_the_safety_rules_fire(month, capsys):
    household, events, _ = month
    # Learning for 23 days: the fall on day 18 and not getting up on day 22 fall inside it.
    alerts = replay(capsys, "--household", str(household), str(events), "--learning-days", "23")
    before = [a for a in alerts if a["ts"] < "2026-01-29"]
    assert before, "the fall pendant still raises its alert while learning"
    # Safety rules, and the health of the kit (a sensor's own silence), never the routine.
    assert all(a["category"] in ("safety", "device") and not a["evidence"].get("learned") for a in before)
    assert any(a["category"] == "safety" for a in before)
    assert any(a["kind"] == "night_wandering" for a in alerts if a["ts"] >= "2026-01-29")


def test_rules_only_replay_has_no_learned_alerts(month, capsys):
    household, events, _ = month
    alerts = replay(capsys, "--household", str(household), str(events), "--rules-only")
    assert {a["kind"] for a in alerts} <= {"fall", "inactivity", "help_request", "device_offline"}
    assert not any(a["evidence"].get("learned") for a in alerts)


def test_a_home_whose_care_plan_reports_night_exits_at_once_gets_the_alert_at_the_first_minute(month, capsys):
    household, events, truth = month
    [exit_] = [t for t in truth if t.kind == "night_wandering"]

    def night_alert(*extra: str) -> datetime:
        alerts = replay(capsys, "--household", str(household), str(events), *extra)
        return min(datetime.fromisoformat(a["ts"]) for a in alerts
                   if a["kind"] == "night_wandering" and datetime.fromisoformat(a["ts"]) >= exit_.start)

    assert night_alert() - exit_.start == timedelta(minutes=5)  # the default, as live
    assert night_alert("--night-exit-after", "0") - exit_.start <= timedelta(minutes=1)
    with pytest.raises(SystemExit):
        main(["replay", "--household", str(household), str(events), "--night-exit-after", "90"])
    assert "a whole number of minutes from 0 to 60" in capsys.readouterr().err
