"""A small bounded map whose entries expire: the gateway's short-lived answers."""

from __future__ import annotations

import time
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
