"""Sending one message to one channel. Apprise does the transport (webhooks, e-mail, chat, SMS...).

Every channel is an Apprise URL, so one interface covers them all; what comes back is a plain result
the delivery worker records as an attempt.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import apprise

from alerts.care_circle import redact


@dataclass(frozen=True, slots=True)
class SendResult:
    ok: bool
    result: str  # Apprise's status name: SUCCESS, FAILURE, TIMEOUT, NOMATCH...
    error: str
    duration_ms: int


def send(url: str, title: str, body: str) -> SendResult:
    """Send through Apprise. Apprise 2.x returns an ``AppriseResult``: only ``bool()`` means success."""
    started = time.perf_counter()
    client = apprise.Apprise()
    if not client.add(url):
        return SendResult(False, "INVALID_URL", f"Apprise cannot send to {redact(url)}", 0)
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
        outcome = client.notify(body=body, title=title)
    ms = int((time.perf_counter() - started) * 1000)
    status = getattr(outcome, "status", None)
    name = getattr(status, "name", str(status)) if status is not None else str(bool(outcome))
    error = "" if outcome else (captured.getvalue().strip().splitlines() or [name])[-1][-500:]
    return SendResult(bool(outcome), name, error, ms)
