"""Publishing several simulated homes at once, each through its own hub connection.

All homes' events (and any malformed messages) are merged in time order and paced by one ``Pacer``,
so a demo can share its accelerated clock with the service and stop the run with the pacer's event::

    pacer = Pacer(clock, stop_event)
    threading.Thread(target=publish_homes, args=(homes, BrokerAddress.parse(url)),
                     kwargs={"pacer": pacer, "protocol": "3.1.1"}).start()
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from simulator.faults import DuplicateChooser, RawMessage
from simulator.progress import Progress
from simulator.publisher import PROTOCOLS, BrokerAddress, HubPublisher, Pacer, PublishCounts
from simulator.simulation import SimulatedHome


def publish_homes(
    homes: Sequence[SimulatedHome],
    target: BrokerAddress,
    *,
    protocol: str = "5",
    topic_prefix: str = "telecare",
    pacer: Pacer | None = None,
    duplicates: float = 0.0,
    seed: int | str = 0,
    malformed: Mapping[str, Sequence[RawMessage]] | None = None,
    progress: Progress | None = None,
) -> dict[str, PublishCounts]:
    """Connect a hub per home, publish everything in time order, wait for every PUBACK, disconnect.

    Parameters
    ----------
    homes : sequence of SimulatedHome
        What to publish; hub ids must differ.
    target : BrokerAddress
        Broker address and optional credentials (without, each hub logs in as its hub id).
    protocol : {"5", "3.1.1"}
        MQTT version: "3.1.1" for the embedded amqtt broker, which refuses MQTT 5.
    pacer : Pacer, optional
        Holds events until its clock reaches them; ``None`` publishes as fast as the broker acks.
        Setting ``pacer.stop`` ends the run early (what was sent is still acknowledged).
    duplicates, seed : float, int or str
        Fraction of events sent twice, chosen by a generator seeded per hub.
    malformed : mapping of hub to RawMessage list, optional
        Bad payloads published at their ``at`` times among the events.
    progress : Progress, optional
        Counter to update after each event.

    Returns
    -------
    dict
        Per hub: events published, duplicates and malformed messages sent.
    """
    pacer = pacer or Pacer()
    publishers: dict[str, HubPublisher] = {}
    counts = {home.hub: PublishCounts() for home in homes}
    repeats = {home.hub: DuplicateChooser(duplicates, seed, home.hub) for home in homes}
    try:
        for home in homes:
            publishers[home.hub] = HubPublisher(
                home.hub,
                host=target.host,
                port=target.port,
                username=target.username,
                password=target.password,
                tls=target.tls,
                protocol=PROTOCOLS[protocol],
                topic_prefix=topic_prefix,
            )
            publishers[home.hub].connect(home.device_statuses())
        for when, hub, item in _merged(homes, malformed or {}):
            if not pacer.wait_until(when):
                break
            if isinstance(item, RawMessage):
                publishers[hub].publish_raw(item)
                counts[hub].raw += 1
                continue
            publishers[hub].publish_event(item)
            counts[hub].published += 1
            if repeats[hub]():
                publishers[hub].publish_event(item)
                counts[hub].duplicates += 1
            if progress is not None:
                progress.update(when)
    except BaseException:
        pacer.stop.set()  # interrupted or failed: do not wait long for the last PUBACKs
        raise
    finally:
        for publisher in publishers.values():
            publisher.close(timeout=5.0 if pacer.stop.is_set() else None)
    return counts


def _merged(
    homes: Sequence[SimulatedHome], malformed: Mapping[str, Sequence[RawMessage]]
) -> Iterator[tuple[datetime, str, Any]]:
    def events(home: SimulatedHome) -> Iterator[tuple[datetime, str, Any]]:
        for event in home.events():
            yield datetime.fromisoformat(event["ts"]), home.hub, event

    streams = [events(h) for h in homes]
    streams += [((m.at, hub, m) for m in messages) for hub, messages in malformed.items()]
    return heapq.merge(*streams, key=lambda item: item[0])
