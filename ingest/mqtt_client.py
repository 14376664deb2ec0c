"""Building paho-mqtt clients for the service: persistent session, manual acknowledgement.

MQTT v5 with Mosquitto (session expiry, clean_start=False); MQTT 3.1.1 with the embedded amqtt
broker, which refuses v5 clients (clean_session=False keeps the session there).
"""

from __future__ import annotations

import logging
import ssl
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from telecare.broker_address import BrokerAddress

log = logging.getLogger(__name__)

PROTOCOLS = {"5": mqtt.MQTTv5, "3.1.1": mqtt.MQTTv311}


def build_client(
    client_id: str,
    broker: BrokerAddress,
    protocol: int,
    *,
    manual_ack: bool = False,
    userdata: Any = None,
) -> mqtt.Client:
    kwargs: dict[str, Any] = {
        "client_id": client_id,
        "protocol": protocol,
        "manual_ack": manual_ack,
        "userdata": userdata,
    }
    if protocol != mqtt.MQTTv5:
        kwargs["clean_session"] = False
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, **kwargs)
    # amqtt needs a username to keep a session; Mosquitto with auth needs the real one.
    client.username_pw_set(broker.username or client_id, broker.password)
    if broker.tls:
        client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    return client


def connect_persistent(
    client: mqtt.Client, broker: BrokerAddress, protocol: int, session_expiry_s: int
) -> None:
    """Connect keeping the broker-side session, so messages queue while we are away."""
    if protocol == mqtt.MQTTv5:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = session_expiry_s
        client.connect(
            broker.host, broker.port, keepalive=30, clean_start=False, properties=props
        )
    else:
        client.connect(broker.host, broker.port, keepalive=30)
