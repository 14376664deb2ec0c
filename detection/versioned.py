"""Detector state that pickles with its version, so a snapshot from another version is refused loudly."""

from __future__ import annotations

from typing import ClassVar


class VersionedState:
    """Mix-in: ``__getstate__`` adds ``version``; ``__setstate__`` refuses any other version.

    >>> class Counter(VersionedState):
    ...     STATE_VERSION = 3
    ...     def __init__(self): self.n = 1
    >>> state = Counter().__getstate__()
    >>> state
    {'n': 1, 'version': 3}
    >>> restored = Counter.__new__(Counter)
    >>> restored.__setstate__(dict(state)); restored.n
    1
    >>> restored.__setstate__({"n": 1, "version": 2})
    Traceback (most recent call last):
    ...
    ValueError: Counter state version 2, expected 3
    """

    STATE_VERSION: ClassVar[int]
    # Attributes that are caches, not state: never pickled. Give each a class-level default that
    # means "work it out again", which is also what a restored object starts with.
    CACHES: ClassVar[tuple[str, ...]] = ()

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        for name in self.CACHES:
            state.pop(name, None)
        state["version"] = self.STATE_VERSION
        return state

    def __setstate__(self, state: dict) -> None:
        version = state.pop("version", None)
        if version != self.STATE_VERSION:
            raise ValueError(f"{type(self).__name__} state version {version}, expected {self.STATE_VERSION}")
        self.__dict__.update(state)
