"""Give a household a past: a simulated resident's weeks of events, written straight into the store.

Tests of the feed, the alert page and the browser need a home with a routine behind it; replaying a
month through MQTT would only slow them down, so the events go in as the ingester would store them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from simulator.simulation import build_homes
from telecare.db import session_scope
from telecare.households import parse_household, upsert_household
from telecare.models import Device, Event, Household


def lived_in_home(factory: sessionmaker[Session], hub: str, *, start: date, days: int,
                  name: str | None = None, seed: int = 3, timezone: str = "Europe/London",
                  until: datetime | None = None) -> int:
    """Create household ``hub`` with ``days`` days of a simulated resident's life (up to ``until``)."""
    home = build_homes(1, seed=seed, start=start, days=days, hub_prefix="h-", timezone=timezone)[0]
    household = {**home.household, "hub": hub, "name": name or home.household["name"]}
    with session_scope(factory) as s:
        row, _ = upsert_household(s, parse_household(household))
        household_id = row.id
        devices = dict(s.execute(select(Device.key, Device.id).where(Device.household_id == household_id)).all())
        rows = [
            {"household_id": household_id, "device_id": devices[e["device"]],
             "event_time": (ts := datetime.fromisoformat(e["ts"].replace("Z", "+00:00"))), "received_at": ts,
             "value": float(e["value"]), "seq": e["seq"], "late": False,
             "dedup_key": f"s{e['seq']}"}
            for e in home.events()
            if e["device"] in devices
        ]
        rows = [r for r in rows if until is None or r["event_time"] <= until]
        for i in range(0, len(rows), 5000):
            s.execute(insert(Event), rows[i:i + 5000])
        s.get(Household, household_id).status = "monitoring"
    return household_id
