"""Telecare event monitoring: the shared core (settings, clock, domain types, storage, CLI)."""

__version__ = "0.1.0"
