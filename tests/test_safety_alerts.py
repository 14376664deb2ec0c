"""What a responder sees from the safety rules, end to end: MQTT event in, alert stored.

Runs on both stacks. Absence alerts run on a manual clock, so hours pass in an instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from telecare.clock import ManualClock
from telecare.models import Alert, AlertTimelineEntry
from tests import factories
from tests.support import wait_for

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def alerts(service, kind=None):
    with service.factory() as s:
        q = select(Alert).order_by(Alert.id)
        if kind:
            q = q.where(Alert.kind == kind)
        return s.scalars(q).all()


def monitor(service, hub):
    return service.detection.engine.monitors.get(hub)


def send(pub, stack, hub, device, ts, value, seq=None):
    pub.publish(f"{stack.prefix}/{hub}/{device}/event", factories.payload(ts, value, seq=seq))
    pub.flush()


def test_help_button_press_raises_a_critical_help_request_with_room_and_time(
    stack, start_service, publisher_for
):
    home = factories.household()
    service = start_service(stack, [home], clock=ManualClock(T0))
    pub = publisher_for(stack)
    send(pub, stack, home.hub, "btn-help", T0 - timedelta(minutes=2), True, seq=1)
    [alert] = wait_for(lambda: alerts(service, "help_request"))
    assert alert.severity == "critical" and alert.status == "triggered"
    assert alert.summary == "Help button pressed in the bedroom at 08:58."
    with service.factory() as s:
        timeline = s.scalars(select(AlertTimelineEntry).where(AlertTimelineEntry.alert_id == alert.id)).all()
    assert [(t.action, t.to_status) for t in timeline] == [("trigger", "triggered")]


def test_second_press_updates_the_open_alert_instead_of_opening_another(
    stack, start_service, publisher_for
):
    home = factories.household()
    service = start_service(stack, [home], clock=ManualClock(T0))
    pub = publisher_for(stack)
    send(pub, stack, home.hub, "btn-help", T0 - timedelta(minutes=5), True, seq=1)
    wait_for(lambda: alerts(service, "help_request"))
    send(pub, stack, home.hub, "btn-help", T0 - timedelta(minutes=1), True, seq=2)
    wait_for(lambda: alerts(service, "help_request")[0].count == 2)
    assert len(alerts(service, "help_request")) == 1


def test_fall_smoke_and_water_leak_each_raise_their_own_alert(stack, start_service, publisher_for):
    home = factories.household()
    service = start_service(stack, [home], clock=ManualClock(T0))
    pub = publisher_for(stack)
    send(pub, stack, home.hub, "fall", T0 - timedelta(minutes=3), True, seq=1)
    send(pub, stack, home.hub, "smoke", T0 - timedelta(minutes=2), True, seq=1)
    send(pub, stack, home.hub, "leak", T0 - timedelta(minutes=1), True, seq=1)
    wait_for(lambda: len(alerts(service)) == 3)
    by_kind = {a.kind: a for a in alerts(service)}
    assert set(by_kind) == {"fall", "smoke", "water_leak"}
    assert by_kind["fall"].severity == "critical"
    assert "Smoke detected in the kitchen" in by_kind["smoke"].summary


def test_no_movement_past_the_limit_raises_inactivity_and_movement_clears_it(
    stack, start_service, publisher_for
):
    clock = ManualClock(T0)
    home = factories.household()
    service = start_service(stack, [home], clock=clock)
    pub = publisher_for(stack)
    send(pub, stack, home.hub, "m-kitchen", T0, True, seq=1)
    wait_for(lambda: monitor(service, home.hub) and monitor(service, home.hub).last_presence == T0)
    limit = timedelta(minutes=stack.settings.inactivity_limit_min)
    clock.set(T0 + limit - timedelta(minutes=1))
    service.detection.tick()
    assert alerts(service, "inactivity") == []
    clock.set(T0 + limit + timedelta(minutes=1))
    service.detection.tick()
    service.detection.tick()  # a second tick in the same quiet period raises nothing new
    [alert] = alerts(service, "inactivity")
    assert alert.count == 1
    assert alert.summary.startswith("No sign of movement since 09:00 (6 h 01 min)")
    assert "Last seen in the kitchen" in alert.summary
    send(pub, stack, home.hub, "m-bedroom", T0 + limit + timedelta(minutes=2), True, seq=1)
    wait_for(lambda: alerts(service, "inactivity")[0].status == "cleared")


def test_a_silent_house_because_the_hub_is_offline_is_not_inactivity(
    stack, start_service, publisher_for
):
    clock = ManualClock(T0)
    home = factories.household()
    service = start_service(stack, [home], clock=clock)
    pub = publisher_for(stack)
    send(pub, stack, home.hub, "m-kitchen", T0, True, seq=1)
    pub.publish(f"{stack.prefix}/{home.hub}/status", {"online": False})
    pub.flush()
    wait_for(lambda: monitor(service, home.hub) and monitor(service, home.hub).hub_online is False)
    clock.set(T0 + timedelta(hours=10))
    service.detection.tick()
    assert alerts(service, "inactivity") == []
    # Back online: the quiet period restarts from the reconnection, not from 09:00.
    pub.publish(f"{stack.prefix}/{home.hub}/status", {"online": True})
    pub.flush()
    wait_for(lambda: monitor(service, home.hub).hub_online)
    clock.set(T0 + timedelta(hours=11))
    service.detection.tick()
    assert alerts(service, "inactivity") == []


def test_someone_in_bed_is_not_reported_inactive(stack, start_service, publisher_for):
    clock = ManualClock(T0)
    home = factories.household()
    service = start_service(stack, [home], clock=clock)
    pub = publisher_for(stack)
    send(pub, stack, home.hub, "bed", T0, True, seq=1)
    wait_for(lambda: monitor(service, home.hub) and monitor(service, home.hub).beds_occupied)
    clock.set(T0 + timedelta(hours=9))
    service.detection.tick()
    assert alerts(service, "inactivity") == []


def test_an_alert_raised_before_a_restart_is_not_raised_again_after_it(stack, start_service, publisher_for):
    home = factories.household()
    service = start_service(stack, [home], clock=ManualClock(T0))
    pub = publisher_for(stack)
    send(pub, stack, home.hub, "btn-help", T0 - timedelta(minutes=2), True, seq=1)
    wait_for(lambda: alerts(service, "help_request"))
    service.stop()
    # A second life of the service on the same database and broker session.
    again = start_service(stack, [], clock=ManualClock(T0))
    assert monitor(again, home.hub) is not None
    assert len(alerts(again)) == 1 and alerts(again)[0].count == 1


def test_a_cold_living_room_for_an_hour_raises_cold_home_and_warmth_clears_it(
    stack, start_service, publisher_for
):
    clock = ManualClock(T0 + timedelta(hours=2))  # the readings below are not from the future
    home = factories.household()
    service = start_service(stack, [home], clock=clock)  # first day live: still learning
    pub = publisher_for(stack)
    for seq, (minutes, celsius) in enumerate([(-30, 18.0), (0, 15.9), (30, 15.6), (60, 15.4)], 1):
        send(pub, stack, home.hub, "temp", T0 + timedelta(minutes=minutes), celsius, seq=seq)
    [alert] = wait_for(lambda: alerts(service, "cold_home"))
    assert alert.severity == "urgent" and alert.status == "triggered"
    assert alert.summary == "The living room is 15.4 °C: at or below 16 °C since 09:00 (1 h)."
    send(pub, stack, home.hub, "temp", T0 + timedelta(minutes=90), 17.3, seq=5)
    wait_for(lambda: alerts(service, "cold_home")[0].status == "cleared")
