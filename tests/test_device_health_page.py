"""Device health across homes, for the installer team: problems first, only the homes they look after."""

from __future__ import annotations

from sqlalchemy import select

from telecare.db import session_scope
from telecare.models import Device, Household
from tests.web_app import world  # noqa: F401 - fixture


def test_the_installer_sees_low_batteries_weak_links_and_offline_hubs_of_their_homes_first(world):
    with session_scope(world.factory) as s:
        a = s.get(Household, world.ids["home_a"])
        a.hub_online = False
        kitchen = s.scalar(select(Device).where(Device.household_id == a.id, Device.key == "m-kitchen"))
        kitchen.battery, kitchen.link_quality = 12, 18

    installer = world.client.get("/api/device-health", headers=world.as_user("ian.installer")).json()
    assert [h["hub"] for h in installer] == ["home-a"]  # home-b is not theirs
    [home] = installer
    assert home["hub_online"] is False and home["problems"] >= 2
    [troubled] = [d for d in home["troubled_devices"] if d["key"] == "m-kitchen"]
    assert troubled["health"] == "battery 12%, never reported, weak link (18)"

    admin = world.client.get("/api/device-health", headers=world.as_user("ada.admin")).json()
    assert [h["hub"] for h in admin][0] == "home-a"  # the home with problems comes first
    assert world.client.get("/api/device-health", headers=world.as_user("fay.family")).status_code == 403
