"""``python -m simulator ...``: the same as ``telecare simulate ...``."""

from simulator.command import main

if __name__ == "__main__":  # pragma: no cover - thin entry point
    raise SystemExit(main())
