"""A progress counter for long runs, written to stderr about once a second."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any, TextIO


class Progress:
    """A counter line on stderr about once a second; silent for runs shorter than that."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label, self.stream, self.count = label, stream or sys.stderr, 0
        self._shown = False
        self._next = time.monotonic() + 1.0

    def update(self, when: datetime | None = None) -> None:
        self.count += 1
        if time.monotonic() >= self._next:
            self._next = time.monotonic() + 1.0
            at = f" (simulated {when:%Y-%m-%d %H:%M} UTC)" if when else ""
            end = "\r" if self.stream.isatty() else "\n"
            self.stream.write(f"{self.label}: {self.count} events{at}{end}")
            self.stream.flush()
            self._shown = True

    def counting(self, items: Iterator[Any]) -> Iterator[Any]:
        for item in items:
            self.update()
            yield item

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._shown and self.stream.isatty():
            self.stream.write("\n")
