"""Logging setup. Log lines carry ids, kinds and counts, never names, addresses or payloads."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict) and extra:
            base += " " + " ".join(f"{k}={v}" for k, v in extra.items())
        return base


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a line is logged, not what it was when logging was
    set up: a stream swapped in for a while (a test's captured output, a daemon's redirect) and then
    closed would otherwise turn every later line into a "Logging error" and lose it."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # StreamHandler.__init__ and setStream assign it: always stderr
        pass


def configure_logging(level: str = "INFO", as_json: bool = False) -> None:
    handler = StderrHandler()
    handler.setFormatter(
        JsonFormatter()
        if as_json
        else KeyValueFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Third-party loggers that would otherwise print client ids, topics or payloads at INFO.
    for noisy in ("amqtt", "transitions", "apscheduler", "uvicorn.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def fields(**kwargs: object) -> dict[str, dict[str, object]]:
    """``log.info("stored", extra=fields(hub=hub, n=3))``: structured fields for either formatter."""
    return {"fields": kwargs}
