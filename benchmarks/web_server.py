"""Serve the web app on a benchmark schema in a process of its own, as ``telecare serve`` would.

    python -m benchmarks.web_server --schema SCHEMA --port PORT    (settings from TELECARE_* variables)

The load generator in ``benchmarks.web_pages`` runs its client threads elsewhere, so client and server
do not share one interpreter lock (which would add the clients' waits to every server round trip).
"""

from __future__ import annotations

import argparse

import uvicorn

from telecare.config import Settings
from telecare.db import make_engine, make_session_factory
from web.app import create_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.web_server")
    parser.add_argument("--schema", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = Settings()
    engine = make_engine(settings.sqlalchemy_url, schema=args.schema)
    app = create_app(settings, make_session_factory(engine), lambda: {"database": True, "broker": True})
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
