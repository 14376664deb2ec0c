"""The README's first command: the demo shows a help request and a fall within a minute."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import httpx

from ingest.broker import free_port
from tests.procs import REPO


def test_demo_prints_help_and_fall_alerts_within_a_minute_and_lists_them_in_the_api(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELECARE_")}
    http_port = free_port()
    env.update(
        TELECARE_DATA_DIR=str(tmp_path),
        TELECARE_EMBEDDED_MQTT_PORT=str(free_port()),
        TELECARE_HTTP_PORT=str(http_port),
    )
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "telecare", "demo"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    seen: dict[str, float] = {}
    token = password = None
    output: list[str] = []
    lines: queue.Queue = queue.Queue()
    # A reader thread, because select() on the pipe cannot see lines already in Python's buffer.
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    try:
        while time.monotonic() - started < 60 and not {"help_request", "fall"} <= seen.keys():
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            output.append(line)
            if m := re.search(r"token: (\S+)", line):
                token = m.group(1)
            if m := re.search(r"password: (\S+)", line):
                password = m.group(1)
            if m := re.match(r"ALERT (\w+) ", line):
                seen.setdefault(m.group(1), time.monotonic() - started)
        assert {"help_request", "fall"} <= seen.keys(), "".join(output)[-3000:]
        assert max(seen.values()) < 60
        assert token
        listed = httpx.get(
            f"http://127.0.0.1:{http_port}/api/alerts",
            headers={"Authorization": f"Bearer {token}"}, timeout=10,
        ).json()
        kinds = {a["kind"] for a in listed["items"]}
        assert {"help_request", "fall"} <= kinds
        assert httpx.get(f"http://127.0.0.1:{http_port}/api/alerts", timeout=10).status_code == 401
        # The printed responder account sees both alerts on the console in the browser's pages.
        with httpx.Client(base_url=f"http://127.0.0.1:{http_port}", timeout=10) as browser:
            form = browser.get("/login").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
            signed_in = browser.post("/login", data={"username": "responder", "password": password,
                                                     "csrf_token": csrf})
            assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console"
            console = browser.get("/console").text
            assert "Help button pressed" in console and "Fall detected" in console
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, "".join(output)[-3000:]
