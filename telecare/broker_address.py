"""Where an MQTT broker is: parsed from ``mqtt://user:pass@host:port`` (``mqtts://`` for TLS).

Shared by the service and the simulator (which speaks MQTT like a hub and imports nothing else).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        """
        >>> BrokerAddress.parse("mqtt://hub%40a:p%3Aw@broker.example:1884")
        BrokerAddress(host='broker.example', port=1884, username='hub@a', password='p:w', tls=False)
        >>> BrokerAddress.parse("mqtts://broker.example").port
        8883
        """
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts"):
            raise ValueError(f"broker URL must start with mqtt:// or mqtts://, not {url.split(':')[0]!r}")
        tls = parts.scheme == "mqtts"
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (8883 if tls else 1883),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
        )
