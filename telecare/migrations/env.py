"""Alembic environment: always run with a connection handed in by ``telecare.db.migrate``."""

from alembic import context

import telecare.account_models  # noqa: F401  (registers the account tables)
import telecare.activity_models  # noqa: F401  (registers the daily activity rollups)
from telecare.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from the alembic CLI
    raise RuntimeError("run migrations through telecare.db.migrate(engine)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
