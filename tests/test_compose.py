"""The deployment files: docker-compose.yml, Dockerfile, deploy/.env.example and deploy/mosquitto/.

No Docker engine is needed. The compose file is read as YAML and interpolated the way compose does it;
the broker's config and ACL run in the real Mosquitto binary (missing, the tests fail: nothing skips);
make-passwd.sh, the image's HEALTHCHECK and the simulator's start command are executed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from ingest.broker import free_port
from telecare.broker_address import BrokerAddress
from telecare.config import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / "deploy" / ".env.example"
MOSQUITTO_DIR = ROOT / "deploy" / "mosquitto"
MOSQUITTO_CONF = MOSQUITTO_DIR / "mosquitto.conf"
ACL_FILE = MOSQUITTO_DIR / "acl"
MAKE_PASSWD = MOSQUITTO_DIR / "make-passwd.sh"

CORE_SERVICES = {"mosquitto-init", "mosquitto", "postgres", "telecare"}
DEMO_SERVICES = {"simulator"}

# Variables that compose and the mosquitto-init script use, and that are NOT settings of the service.
# They deliberately lack the TELECARE_ prefix: only fields of telecare.config.Settings carry it.
COMPOSE_ONLY_VARIABLES = frozenset(
    {"MQTT_SERVICE_PASSWORD", "MQTT_SIMULATOR_PASSWORD", "POSTGRES_PASSWORD", "MQTT_HUB_CREDENTIALS_DIR"}
)
# The one optional secret: the demo simulator's password must NOT be required, or production could not
# start without creating a user that may publish as any hub. The simulator's shell checks it instead.
OPTIONAL_SECRETS = frozenset({"MQTT_SIMULATOR_PASSWORD"})
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN")

SERVICE_USER = "telecare-service"
SIMULATOR_USER = "telecare-simulator"
HUBS = ("hub-a", "hub-b")
TIMEOUT = 10.0

ENV_PREFIX: str = Settings.model_config["env_prefix"]
SETTINGS_ENV_NAMES = frozenset(f"{ENV_PREFIX}{name}".upper() for name in Settings.model_fields)
SECRET_SETTINGS_ENV_NAMES = frozenset(
    f"{ENV_PREFIX}{name}".upper()
    for name, info in Settings.model_fields.items()
    if info.annotation is SecretStr
)


# --------------------------------------------------------------------------- compose interpolation
class MissingVariable(Exception):
    """What compose reports for `${VAR:?message}` with VAR unset or empty: it refuses to start."""


# The compose interpolation syntax: $$ (a literal $), ${VAR}, ${VAR:-default}, ${VAR-default},
# ${VAR:?error}, ${VAR?error}, $VAR.
_DOLLAR = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>.*))?", re.S)


@dataclass(frozen=True)
class Reference:
    name: str
    op: str | None  # None, ':-', '-', ':?', '?'
    arg: str


def references(value: str) -> list[Reference]:
    found = []
    for m in _DOLLAR.finditer(value):
        if m["escaped"]:
            continue
        if m["named"]:
            found.append(Reference(m["named"], None, ""))
            continue
        b = _BRACED.fullmatch(m["braced"])
        assert b, f"interpolation syntax this test does not know: ${{{m['braced']}}}"
        found.append(Reference(b["name"], b["op"], b["arg"] or ""))
    return found


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation, applied to every string of the loaded YAML."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(m: re.Match[str]) -> str:
        if m["escaped"]:
            return "$"
        ref = references(m[0])[0]
        current = env.get(ref.name)
        if ref.op is None:
            return current or ""
        missing = current is None or (ref.op.startswith(":") and current == "")
        if ref.op.endswith("-"):
            return ref.arg if missing else current
        if missing:
            raise MissingVariable(f"{ref.name}: {ref.arg}")
        return current

    return _DOLLAR.sub(substitute, value)


def all_strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from all_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from all_strings(v)
    elif isinstance(value, str):
        yield value


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the `- NAME=value` form
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def variables(compose: dict[str, Any]) -> dict[str, list[Reference]]:
    """Every variable the compose file interpolates, with each place it is used (comments excluded)."""
    found: dict[str, list[Reference]] = {}
    for text in all_strings(compose):
        for ref in references(text):
            found.setdefault(ref.name, []).append(ref)
    return found


@pytest.fixture
def full_env(variables: dict[str, list[Reference]]) -> dict[str, str]:
    """A complete .env as an operator would write it: a fresh URL-safe secret in every variable."""
    generated = {name: secrets.token_urlsafe(32) for name in variables if SECRET_NAME.search(name)}
    return read_env_file(ENV_EXAMPLE) | generated


# --------------------------------------------------------------------------- compose file
def test_compose_has_the_services_and_the_simulator_only_in_the_demo_profile(compose):
    services = compose["services"]
    assert set(services) == CORE_SERVICES | DEMO_SERVICES
    assert services["simulator"]["profiles"] == ["demo"]
    for name in CORE_SERVICES:
        assert "profiles" not in services[name], f"{name} must start with a plain `docker compose up`"


def test_every_telecare_env_name_is_a_settings_field(compose, variables):
    set_in_services = {
        name
        for service in compose["services"].values()
        for name in environment_of(service)
        if name.startswith(ENV_PREFIX)
    }
    assert set_in_services, "the telecare service should be configured through its settings"
    assert set_in_services <= SETTINGS_ENV_NAMES, set_in_services - SETTINGS_ENV_NAMES
    interpolated = {name for name in variables if name.startswith(ENV_PREFIX)}
    assert interpolated <= SETTINGS_ENV_NAMES, interpolated - SETTINGS_ENV_NAMES


def test_other_variables_are_the_allow_listed_compose_only_names(variables):
    others = {name for name in variables if not name.startswith(ENV_PREFIX)}
    assert others <= COMPOSE_ONLY_VARIABLES, others - COMPOSE_ONLY_VARIABLES
    assert not any(name.startswith(ENV_PREFIX) for name in COMPOSE_ONLY_VARIABLES)


def test_env_example_lists_every_variable_and_commits_no_secret(variables):
    example = read_env_file(ENV_EXAMPLE)
    assert set(example) == set(variables)
    for name, value in example.items():
        if SECRET_NAME.search(name):
            assert value == "", f"{name}: leave secrets empty so compose refuses an unedited copy"


def test_every_secret_is_required(compose, variables, full_env):
    secret_names = {name for name in variables if SECRET_NAME.search(name)} | SECRET_SETTINGS_ENV_NAMES
    assert {"MQTT_SERVICE_PASSWORD", "POSTGRES_PASSWORD"} <= secret_names
    for name in secret_names:
        uses = variables.get(name, [])
        assert uses, f"{name} is never set"
        for ref in uses:
            if name in OPTIONAL_SECRETS:
                assert ref.op == ":-" and ref.arg == "", f"{name}: optional, and never a default value"
            else:
                assert ref.op == ":?" and ref.arg, f"{name} must be written ${{{name}:?message}}"

    interpolate(compose, full_env)  # complete: no error
    for name in secret_names - OPTIONAL_SECRETS:
        for broken in ({k: v for k, v in full_env.items() if k != name}, full_env | {name: ""}):
            with pytest.raises(MissingVariable, match=name):
                interpolate(compose, broken)


def test_secret_settings_come_from_required_variables(compose):
    assert SECRET_SETTINGS_ENV_NAMES, "Settings has SecretStr fields (secret_key, api_token)"
    telecare_env = environment_of(compose["services"]["telecare"])
    for name in SECRET_SETTINGS_ENV_NAMES:
        assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", telecare_env.get(name, "")), name


def test_production_settings_load_from_the_compose_environment(compose, full_env, monkeypatch):
    services = interpolate(compose, full_env)["services"]
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    for name, value in environment_of(services["telecare"]).items():
        monkeypatch.setenv(name, value)

    settings = Settings(_env_file=None)

    assert settings.environment == "production"
    assert not settings.uses_embedded_broker
    assert settings.broker == BrokerAddress(
        "mosquitto", 1883, SERVICE_USER, full_env["MQTT_SERVICE_PASSWORD"], False
    )
    assert settings.sqlalchemy_url == (
        f"postgresql+psycopg://telecare:{full_env['POSTGRES_PASSWORD']}@postgres:5432/telecare"
    )
    assert settings.http_host == "0.0.0.0" and settings.http_port == 8080
    assert str(settings.data_dir) == "/data"
    postgres = environment_of(services["postgres"])
    assert postgres["POSTGRES_PASSWORD"] == full_env["POSTGRES_PASSWORD"]
    assert (postgres["POSTGRES_USER"], postgres["POSTGRES_DB"]) == ("telecare", "telecare")


def test_start_order_and_published_ports(compose):
    services = compose["services"]
    # The broker line the tests below run (Mosquitto 2.0); make-passwd.sh runs in the same image.
    assert services["mosquitto-init"]["image"] == services["mosquitto"]["image"] == "eclipse-mosquitto:2.0"
    assert services["postgres"]["image"] == "postgres:15"
    assert services["mosquitto"]["depends_on"] == {
        "mosquitto-init": {"condition": "service_completed_successfully"}
    }
    assert services["telecare"]["depends_on"] == {
        "mosquitto-init": {"condition": "service_completed_successfully"},
        "mosquitto": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
    }
    assert services["simulator"]["depends_on"]["telecare"] == {"condition": "service_healthy"}
    for name in ("mosquitto", "postgres"):
        assert services[name]["healthcheck"]["test"], name
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"][1]
    for service in services.values():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{port}: publish on loopback only"
    assert services["telecare"]["ports"] == ["127.0.0.1:8080:8080"]


def _binds(compose: dict[str, Any], service: str) -> dict[str, tuple[str, bool]]:
    """Mount target -> (source, read-only) of one service, with variables at their defaults."""
    mounts = {}
    for volume in interpolate(compose["services"][service].get("volumes", []), {}):
        source, target, *mode = volume.split(":")
        mounts[target] = (source, mode == ["ro"])
    return mounts


def test_mounted_files_exist_and_match_the_broker_config(compose):
    named = set(compose.get("volumes") or {})
    for service in compose["services"]:
        for source, _ in _binds(compose, service).values():
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{service} mounts {source}, which is not in the repo"
            else:
                assert source in named, f"{service} uses undeclared volume {source}"
    assert compose["services"]["telecare"]["build"] == "."
    assert DOCKERFILE.exists()

    conf = mosquitto_directives(MOSQUITTO_CONF.read_text())
    broker = _binds(compose, "mosquitto")
    assert broker["/mosquitto/config/mosquitto.conf"] == ("./deploy/mosquitto/mosquitto.conf", True)
    assert broker[conf["acl_file"][0]] == ("./deploy/mosquitto/acl", True)
    password_file = Path(conf["password_file"][0])
    assert broker[str(password_file.parent)] == ("mosquitto-secrets", True)
    assert broker[conf["persistence_location"][0].rstrip("/")] == ("mosquitto-data", False)

    init = _binds(compose, "mosquitto-init")
    init_env = environment_of(compose["services"]["mosquitto-init"])
    assert init[str(password_file.parent)] == ("mosquitto-secrets", False)
    assert init_env["MQTT_PASSWD_FILE"] == str(password_file)
    assert init[str(Path(init_env["MQTT_HUBS_FILE"]).parent)] == ("./deploy/secrets", True)
    assert init["/make-passwd.sh"] == ("./deploy/mosquitto/make-passwd.sh", True)
    assert compose["services"]["mosquitto-init"]["entrypoint"] == ["/bin/sh", "/make-passwd.sh"]


def test_simulator_runs_the_cli_and_refuses_to_start_without_its_password(compose, full_env, tmp_path):
    services = interpolate(compose, full_env | {"MQTT_SIMULATOR_PASSWORD": ""})["services"]
    simulator = services["simulator"]
    argv = simulator["entrypoint"] + simulator["command"]
    assert argv[:2] == ["/bin/sh", "-c"]
    # A stand-in `telecare` that prints its arguments, first on PATH.
    (tmp_path / "telecare").write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    (tmp_path / "telecare").chmod(0o755)
    path = f"{tmp_path}{os.pathsep}{os.environ['PATH']}"

    def run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv, env={"PATH": path, **env}, capture_output=True, text=True, timeout=TIMEOUT
        )

    refused = run(environment_of(simulator))
    assert refused.returncode != 0 and refused.stdout == ""
    assert "MQTT_SIMULATOR_PASSWORD" in refused.stderr

    password = secrets.token_urlsafe(32)
    ran = run({"MQTT_SIMULATOR_PASSWORD": password})
    assert ran.returncode == 0, ran.stderr
    args = ran.stdout.splitlines()
    assert args[0] == "simulate"
    options = dict(zip(args[1::2], args[2::2], strict=True))
    assert options["--homes"] == "3" and options["--speed"] == "60" and options["--protocol"] == "5"
    assert BrokerAddress.parse(options["--mqtt-url"]) == BrokerAddress(
        "mosquitto", 1883, SIMULATOR_USER, password, False
    )


# --------------------------------------------------------------------------- Dockerfile
def dockerfile_instructions() -> list[tuple[str, str]]:
    logical, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if line.strip().startswith("#") or not line.strip():
            continue
        current += line.rstrip()
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        keyword, _, rest = current.strip().partition(" ")
        logical.append((keyword.upper(), rest.strip()))
        current = ""
    return logical


def test_dockerfile_builds_a_non_root_image_of_the_cli():
    instructions = dockerfile_instructions()
    by_keyword: dict[str, list[str]] = {}
    for keyword, rest in instructions:
        by_keyword.setdefault(keyword, []).append(rest)
    assert all(base.startswith("python:3.11-slim") for base in by_keyword["FROM"])
    assert any("pip install ." in run for run in by_keyword["RUN"])
    user = by_keyword["USER"][-1].split(":")[0]
    assert user not in ("root", "0")
    assert json.loads(by_keyword["ENTRYPOINT"][-1]) == ["telecare"]
    assert json.loads(by_keyword["CMD"][-1]) == ["serve"]
    assert by_keyword["EXPOSE"] == ["8080"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert "telecare" in scripts
    env_names = set(re.findall(r"\b(TELECARE_[A-Z0-9_]+)=", " ".join(by_keyword.get("ENV", []))))
    assert env_names <= SETTINGS_ENV_NAMES, env_names - SETTINGS_ENV_NAMES

    ignored = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()}
    assert {".env", ".venv", ".git"} <= ignored


def _healthcheck_argv() -> list[str]:
    [rest] = [rest for keyword, rest in dockerfile_instructions() if keyword == "HEALTHCHECK"]
    argv = json.loads(rest[rest.index("CMD") + len("CMD") :])
    assert argv[0] == "python"
    return [sys.executable, *argv[1:]]


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_image_healthcheck_asks_the_service(status, healthy):
    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(status if self.path == "/health" else 404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = os.environ | {"TELECARE_HTTP_PORT": str(server.server_address[1])}
        done = subprocess.run(_healthcheck_argv(), env=env, capture_output=True, timeout=TIMEOUT)
    finally:
        server.shutdown()
        server.server_close()
    assert (done.returncode == 0) is healthy


def test_image_healthcheck_fails_when_nothing_listens():
    env = os.environ | {"TELECARE_HTTP_PORT": str(free_port())}
    done = subprocess.run(_healthcheck_argv(), env=env, capture_output=True, timeout=TIMEOUT)
    assert done.returncode != 0


# --------------------------------------------------------------------------- mosquitto.conf
def mosquitto_directives(text: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition(" ")
            directives.setdefault(key, []).append(value.strip())
    return directives


def test_mosquitto_conf_keeps_every_message():
    conf = mosquitto_directives(MOSQUITTO_CONF.read_text())
    single = {key: values[0] for key, values in conf.items() if len(values) == 1}
    assert single["per_listener_settings"] == "false"
    assert single["listener"] == "1883"
    assert single["allow_anonymous"] == "false"
    assert single["password_file"] and single["acl_file"] == "/mosquitto/config/acl"
    assert single["persistence"] == "true"
    assert single["persistence_location"] == "/mosquitto/data/"
    assert 0 < int(single["autosave_interval"]) <= 60
    # The default, 1000, silently drops message 1001 and on for an absent or slow subscriber.
    assert int(single["max_queued_messages"]) > 1000
    assert int(single["max_queued_bytes"]) > 0
    assert re.fullmatch(r"\d+[hdwmy]", single["persistent_client_expiration"])
    assert conf["log_dest"] == ["stdout"]
