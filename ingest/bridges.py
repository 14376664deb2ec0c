"""Keep this ingest worker in step with the households table: device lists changed by installers
(any worker's API) re-read into the directory, and each Zigbee2MQTT bridge subscribed and open for
joining exactly while its home is in pairing mode.

Pairing mode is a row (``households.pairing_until``) that the API of any worker may set; this poll
turns it into ``<base>/bridge/request/permit_join`` requests. Zigbee2MQTT opens its network for at
most 254 s at a time, so a longer pairing window is renewed before it runs out, and a window closed
early by the installer is closed on the bridge too. The bridge's answer comes back through ingest
(``bridge/response/permit_join``) and is stored on the household for the installer's page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import paho.mqtt.client as mqtt
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from ingest.registry import DeviceRegistry
from telecare.db import session_scope
from telecare.logs import fields
from telecare.models import Household, utcnow
from telecare.pairing import is_pairing

log = logging.getLogger(__name__)

MAX_PERMIT_JOIN_S = 254  # Zigbee2MQTT's limit for one permit_join
RENEW_BEFORE = timedelta(seconds=30)
ANSWER_WAIT = timedelta(seconds=10)  # a request not answered by then is sent again
CLOCK_MARGIN = timedelta(seconds=30)


class BridgeCoordinator:
    def __init__(
        self, factory: sessionmaker[Session], registry: DeviceRegistry,
        client: Callable[[], mqtt.Client | None],
    ) -> None:
        self.factory = factory
        self.registry = registry
        self.client = client
        self.requests_sent = 0
        self._changes_seen: dict[str, datetime] = {}
        # The directory was loaded whole at start: changes from about then on are re-read.
        self._since = utcnow()

    def poll(self, now: datetime) -> None:
        """Two indexed queries that return nothing while no home changes and none is pairing."""
        client = self.client()
        if client is not None and not client.is_connected():
            client = None  # on reconnect, every bridge topic in the directory is subscribed again
        with session_scope(self.factory) as session:
            self._reread_changed(session, client)
            if client is None:
                return
            pairing_or_open = or_(Household.pairing_until > now, Household.permit_join_until > now)
            for household in session.scalars(
                select(Household).where(Household.bridge == "zigbee2mqtt", pairing_or_open)
            ):
                self._permit_join(client, household, now)

    def _reread_changed(self, session: Session, client: mqtt.Client | None) -> None:
        """Homes created or whose device list changed since the last poll (with a margin for clocks
        that differ between workers) are re-read, and a new bridge topic is subscribed."""
        query = select(Household.hub, Household.devices_changed_at).where(
            Household.devices_changed_at > self._since - CLOCK_MARGIN)
        for hub, changed in session.execute(query):
            if self._changes_seen.get(hub) != changed:
                before = self.registry.get(hub)
                known = self.registry.refresh_hub(session, hub)
                topic = known.bridge_topic if known else ""
                if client is not None and topic and (before is None or before.bridge_topic != topic):
                    client.subscribe(f"{topic}/#", qos=1)
                self._changes_seen[hub] = changed
            self._since = max(self._since, changed)

    def _permit_join(self, client: mqtt.Client, household: Household, now: datetime) -> None:
        if household.permit_join_requested is not None and now - household.permit_join_requested < ANSWER_WAIT:
            return
        open_until = household.permit_join_until
        bridge_open = open_until is not None and open_until > now
        if is_pairing(household, now):
            if bridge_open and open_until - now > RENEW_BEFORE:
                return
            seconds = min(MAX_PERMIT_JOIN_S, int((household.pairing_until - now).total_seconds()) + 1)
        elif bridge_open:
            seconds = 0  # the installer stopped pairing: close the network now
        else:
            return
        client.publish(f"{household.bridge_topic}/bridge/request/permit_join",
                       json.dumps({"time": seconds}), qos=1)
        household.permit_join_requested = now
        self.requests_sent += 1
        log.info("permit_join requested", extra=fields(hub=household.hub, seconds=seconds))
