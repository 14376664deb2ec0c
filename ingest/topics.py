"""Topic names of the MQTT contract: ``<prefix>/<hub>/<device>/event`` and the status topics."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class TopicKind(enum.Enum):
    EVENT = "event"
    DEVICE_STATUS = "device_status"
    HUB_STATUS = "hub_status"
    PAIRING = "pairing"  # a new sensor announcing itself: accepted only in pairing mode


@dataclass(frozen=True, slots=True)
class ParsedTopic:
    kind: TopicKind
    hub: str
    device: str | None = None


def parse_topic(topic: str, prefix: str) -> ParsedTopic | None:
    """Return what the topic addresses, or None when it is not part of the contract.

    >>> parse_topic("telecare/h-001/m-kitchen/event", "telecare")
    ParsedTopic(kind=<TopicKind.EVENT: 'event'>, hub='h-001', device='m-kitchen')
    >>> parse_topic("telecare/h-001/status", "telecare").kind
    <TopicKind.HUB_STATUS: 'hub_status'>
    >>> parse_topic("telecare/h-001/pairing", "telecare").kind
    <TopicKind.PAIRING: 'pairing'>
    >>> parse_topic("telecare/h-001/m-kitchen/other", "telecare") is None
    True
    """
    parts = topic.split("/")
    if len(parts) < 3 or parts[0] != prefix or not parts[1]:
        return None
    hub = parts[1]
    if len(parts) == 3 and parts[2] == "status":
        return ParsedTopic(TopicKind.HUB_STATUS, hub)
    if len(parts) == 3 and parts[2] == "pairing":
        return ParsedTopic(TopicKind.PAIRING, hub)
    if len(parts) == 4 and parts[2]:
        if parts[3] == "event":
            return ParsedTopic(TopicKind.EVENT, hub, parts[2])
        if parts[3] == "status":
            return ParsedTopic(TopicKind.DEVICE_STATUS, hub, parts[2])
    return None


def event_topic(prefix: str, hub: str, device: str) -> str:
    return f"{prefix}/{hub}/{device}/event"


def subscription(prefix: str) -> str:
    return f"{prefix}/#"
