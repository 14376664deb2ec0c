"""Run the real ``telecare`` command as a separate process (crash tests, benchmarks, the demo test)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx

from ingest.broker import free_port
from tests.support import PG_URL, wait_for

REPO = Path(__file__).resolve().parents[1]


def service_env(
    data_dir: Path,
    *,
    mqtt_url: str | None = None,
    embedded_port: int | None = None,
    pg_schema: str | None = None,
    prefix: str | None = None,
    **extra: str,
) -> dict[str, str]:
    """Environment for a service process: only TELECARE_ settings, nothing inherited by accident."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELECARE_")}
    env.update(
        TELECARE_ENVIRONMENT="test",
        TELECARE_SECRET_KEY="test-secret-key-0123456789",
        TELECARE_API_TOKEN="test-api-token-0123456789",
        TELECARE_DATA_DIR=str(data_dir),
        TELECARE_HTTP_PORT=str(free_port()),
        TELECARE_MQTT_TOPIC_PREFIX=prefix or f"test-{uuid.uuid4().hex[:8]}",
        TELECARE_MQTT_CLIENT_ID=f"ingest-{uuid.uuid4().hex[:8]}",
        TELECARE_LOG_LEVEL="WARNING",
    )
    if mqtt_url:
        env["TELECARE_MQTT_URL"] = mqtt_url
    if embedded_port:
        env["TELECARE_EMBEDDED_MQTT_PORT"] = str(embedded_port)
    if pg_schema:
        env["TELECARE_DATABASE_URL"] = f"{PG_URL}?options={quote(f'-csearch_path={pg_schema}')}"
    env.update(extra)
    return env


def telecare(*args: str, env: dict[str, str], timeout: float = 120,
             input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "telecare", *args],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False,
        input=input if input is not None else "",
    )


def import_households(households: list[dict], workdir: Path, env: dict[str, str]) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    files = []
    for h in households:
        path = workdir / f"{h['hub']}.household.json"
        path.write_text(json.dumps(h))
        files.append(str(path))
    done = telecare("household", "import", *files, env=env)
    assert done.returncode == 0, done.stderr


class ServiceProcess:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.env['TELECARE_HTTP_PORT']}"

    def start(self, timeout: float = 30) -> None:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()/kill()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "telecare", "serve"],
            env=self.env, cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT,
        )
        wait_for(self.healthy, timeout=timeout, every=0.1)

    def healthy(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"service exited with {self.proc.returncode}: {self.log_path.read_text()[-2000:]}")
        try:
            return httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a power cut or an OOM kill."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._log.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self._log.close()

    def api(self, path: str, **params) -> dict:
        token = self.env["TELECARE_API_TOKEN"]
        r = httpx.get(f"{self.base_url}{path}", params=params,
                      headers={"Authorization": f"Bearer {token}"}, timeout=10)
        r.raise_for_status()
        return r.json()
