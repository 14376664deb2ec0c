"""The embedded MQTT broker (amqtt), used when no broker URL is configured.

It runs in its own thread with its own asyncio loop. amqtt 0.12 speaks MQTT 3.1.1 only, keeps sessions
in memory only, and forgets the session of an anonymous client; so clients must send a username
(any: this broker is for a single machine and binds to loopback by default). A crash of the service
takes this broker down with it: see the README's "what a crash can lose" note.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

from amqtt.broker import Broker
from amqtt.contexts import Action
from amqtt.plugins.base import BaseTopicPlugin
from amqtt.session import Session

from telecare import metrics
from telecare.pairing import ZIGBEE2MQTT_ROOT

log = logging.getLogger(__name__)


TRUSTED_USERS = ("telecare-service", "telecare-simulator")


class HubTopicPlugin(BaseTopicPlugin):
    """The rule of the production broker's ACL, kept by the service's own broker: a hub (its user
    name is its hub id) publishes only under ``<prefix>/<hub>/...`` and ``zigbee2mqtt/<hub>/...``.

    The service and the simulator (trusted users) may publish anywhere; reading is not restricted
    (this broker listens on the machine's loopback only). A refused message is dropped by the broker,
    logged without its content and counted (``telecare_mqtt_publish_refused_total``).
    """

    @dataclass
    class Config:
        prefix: str = "telecare"
        trusted: list[str] = field(default_factory=lambda: list(TRUSTED_USERS))

    async def topic_filtering(
        self, *, session: Session | None = None, topic: str | None = None, action: Action | None = None
    ) -> bool | None:
        if action != Action.PUBLISH:
            return True
        user = session.username if session else None
        if user in self.config.trusted:
            return True
        levels = (topic or "").split("/")
        allowed = len(levels) >= 2 and levels[0] in (self.config.prefix, ZIGBEE2MQTT_ROOT) and levels[1] == user
        if not allowed:
            metrics.MQTT_PUBLISH_REFUSED.inc()
            log.warning("publish refused: a hub may only publish under its own topics",
                        extra={"fields": {"user": user, "root": levels[0]}})
        return allowed


class EmbeddedBroker:
    def __init__(self, host: str = "127.0.0.1", port: int = 1884, prefix: str = "telecare",
                 trusted: tuple[str, ...] = TRUSTED_USERS) -> None:
        self.host = host
        self.prefix = prefix
        self.trusted = trusted
        self.port = port or free_port(host)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker: Broker | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self, timeout: float = 10.0) -> None:
        self._thread = threading.Thread(target=self._run, name="embedded-broker", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("embedded MQTT broker did not start in time")
        if self._error is not None:
            raise RuntimeError(f"embedded MQTT broker failed to start: {self._error}")
        log.info("embedded MQTT broker listening", extra={"fields": {"port": self.port}})

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                # With anonymous clients refused, amqtt keeps each client's session while it is
                # away (a username is enough; this broker only listens on this machine).
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": False},
                "ingest.broker.HubTopicPlugin": {"prefix": self.prefix, "trusted": list(self.trusted)},
            },
        }
        try:
            self._broker = Broker(config, loop=loop)
            loop.run_until_complete(self._broker.start())
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.close()

    def stop(self, timeout: float = 10.0) -> None:
        loop, broker = self._loop, self._broker
        if loop is None or broker is None or not loop.is_running():
            return
        fut = asyncio.run_coroutine_threadsafe(broker.shutdown(), loop)
        try:
            fut.result(timeout)
        except Exception:  # noqa: BLE001 - shutting down anyway
            log.warning("embedded broker did not shut down cleanly")
        loop.call_soon_threadsafe(loop.stop)
        if self._thread:
            self._thread.join(timeout)

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"


def port_free(host: str, port: int) -> bool:
    """Whether a TCP server could bind ``host:port`` now."""
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing uses now, chosen below the kernel's range of ephemeral ports.

    Why not ``bind(host, 0)``: the kernel picks that port from the same range it gives the local end
    of outgoing connections, so between choosing it and a server binding it, a client connecting to
    PostgreSQL or the broker can take it ("address already in use", seen in CI). Below that range
    only servers that ask for a port by number compete, and a random pick among thousands makes two
    of them asking for the same one unlikely.
    """
    low = _ephemeral_low()
    pick = random.SystemRandom()
    for _ in range(100):
        port = pick.randrange(max(1024, low - 20000), low)
        if port_free(host, port):
            return port
    with socket.socket() as s:  # a crowded machine: fall back on the kernel's choice
        s.bind((host, 0))
        return s.getsockname()[1]


def _ephemeral_low(default: int = 32768) -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return default  # not Linux: the IANA range starts at 49152, so this is below it too
