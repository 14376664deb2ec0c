"""Database engine, sessions and migrations.

Storage functions elsewhere take a ``Session`` and never commit; the use-case that calls them owns the
transaction (``with session_scope(factory) as s: ...``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, *, schema: str | None = None, **kwargs: Any) -> Engine:
    """Build the engine. ``schema`` (PostgreSQL) puts everything in that schema: tests use one each."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # The application name lets an operator (and the tests) tell the service's connections apart.
    connect_args: dict[str, Any] = {"application_name": f"telecare:{schema}" if schema else "telecare"}
    if schema:
        connect_args["options"] = f"-csearch_path={schema}"
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, connect_args=connect_args, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    # WAL lets the web app read while ingest writes; NORMAL sync is durable across process kills.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (the service does this on start)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


@contextmanager
def command_database(url: str) -> Iterator[sessionmaker[Session]]:
    """The database for a one-off command: migrated to the newest schema, its engine closed after."""
    engine = make_engine(url)
    try:
        migrate(engine)
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def is_transient(exc: BaseException) -> bool:
    """A failure worth retrying: the connection, not the data (a lost server, a locked SQLite file)."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    text_ = str(exc.orig if exc.orig is not None else exc).lower()
    return any(
        s in text_
        for s in (
            "connection", "could not connect", "server closed", "terminating", "database is locked",
            "timeout", "the database system is",
        )
    )


def ping(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - health reports any failure as "down"
        return False
