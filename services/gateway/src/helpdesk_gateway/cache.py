"""A small bounded map whose entries expire: the gateway's short-lived answers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class Expiring:
    """A bounded map whose entries count for ``ttl`` seconds."""

    def __init__(self, ttl: float, size: int = 10_000) -> None:
        self._ttl = ttl
        self._size = size
        self._items: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any:
        hit = self._items.get(key)
        if hit is None:
            return None
        if hit[0] < time.monotonic():
            del self._items[key]
            return None
        return hit[1]

    def put(self, key: str, value: Any) -> None:
        if len(self._items) >= self._size:
            self._items.pop(next(iter(self._items)))
        self._items[key] = (time.monotonic() + self._ttl, value)

    def drop_where(self, matches: Callable[[Any], bool]) -> int:
        """Forgets every entry whose value ``matches``; how many it forgot. A scan of at most
        ``size`` entries: for rare events (a user's rights changed), not for every request."""
        doomed = [key for key, (_, value) in self._items.items() if matches(value)]
        for key in doomed:
            del self._items[key]
        return len(doomed)
