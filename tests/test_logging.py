"""The service's log lines reach whatever standard error is at the time: set up once, at start."""

from __future__ import annotations

import io
import logging
import sys

import pytest

from telecare.logs import configure_logging, fields


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_a_line_logged_after_stderr_was_swapped_and_closed_still_reaches_stderr(restore_logging, monkeypatch):
    # Set up while one stream is standard error (a test's captured output, a redirect)...
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("INFO")
    logging.getLogger("detection.service").info("alert raised", extra=fields(kind="fall", hub="h-1"))
    assert "alert raised" in first.getvalue()
    # ...which is closed and replaced, while a worker thread goes on logging.
    first.close()
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("detection.service").info("alert raised", extra=fields(kind="inactivity", hub="h-2"))
    out = second.getvalue()
    assert "alert raised kind=inactivity hub=h-2" in out
    assert "Logging error" not in out


def test_json_lines_carry_the_structured_fields(restore_logging, monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    configure_logging("INFO", as_json=True)
    logging.getLogger("ingest").warning("rejected", extra=fields(reason="bad_json", hub="h-3"))
    line = out.getvalue().strip()
    assert '"msg": "rejected"' in line and '"reason": "bad_json"' in line and '"level": "warning"' in line
