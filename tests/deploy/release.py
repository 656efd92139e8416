"""One value set of the chart, rendered and running: the operator's part and the cluster's.

:func:`run_release` renders the chart with ``helm template`` (what ``helm install``
would create), plays the operator (servers and Secrets the values expect to exist),
then the cluster (see ``cluster.py``): the migration Job runs to completion, every
Deployment's pods start (one each, or as many as the operator's part asks for), and
each must pass its readiness probe.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpdesk_devstack.servers import PostgresServer, RedisServer

from .cluster import Cluster, Container, Pod, PodFailed
from .objects import Obj, Objects

NAMESPACE = "helpdesk"
READY_TIMEOUT = 120.0
JOB_TIMEOUT = 180.0


@dataclass
class Servers:
    """The real servers of one release: its own NATS and Redis, a database of the shared PostgreSQL,
    and stand-ins for what else the values name (an S3 endpoint, an OTLP collector)."""

    postgres: PostgresServer
    database: str
    nats_url: str  # every server, without credentials
    redis: RedisServer
    s3: Any = None  # a boto3 client of the S3 stand-in
    spans: Any = None  # the OTLP SpanCollector
    # The database roles the services log in as: service -> role.
    roles: dict[str, str] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return self.postgres.url_for(self.database)


@dataclass
class Release:
    values: str
    objects: Objects
    cluster: Cluster
    servers: Servers
    admin_password: str
    timings: dict[str, float] = field(default_factory=dict)

    def container(self, deployment: str) -> Container:
        (container,) = self.cluster.pods[f"helpdesk-{deployment}"].main
        return container

    def env(self, deployment: str) -> dict[str, str]:
        """The environment the (first) pod of a Deployment runs with, Services resolved."""
        return dict(self.container(deployment).spec.env)

    @property
    def gateway_url(self) -> str:
        return self.container("gateway").url("http")

    def deployments(self) -> list[Pod]:
        """The first pod of every Deployment."""
        return [self.cluster.pods[d["metadata"]["name"]] for d in self.objects.of_kind("Deployment")]

    def replicas(self, deployment: str) -> list[Pod]:
        """Every pod of a Deployment that runs here."""
        return self.cluster.replicas(f"helpdesk-{deployment}")


def secret(name: str, data: dict[str, str]) -> Obj:
    """A Secret as ``kubectl create secret generic`` makes it."""
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "data": encoded}


def require_redis_password(redis: RedisServer, password: str) -> None:
    """What the quick-start Redis's ``--requirepass`` does, on the running server."""
    with socket.create_connection(("127.0.0.1", redis.port), timeout=5) as sock:
        command = ["CONFIG", "SET", "requirepass", password]
        sock.sendall(f"*{len(command)}\r\n".encode() + b"".join(_bulk(w) for w in command))
        reply = sock.recv(64)
    if not reply.startswith(b"+OK"):
        raise RuntimeError(f"redis CONFIG SET requirepass: {reply!r}")


def _bulk(word: str) -> bytes:
    data = word.encode()
    return f"${len(data)}\r\n".encode() + data + b"\r\n"


def _workloads(objects: Objects) -> list[Obj]:
    """What runs as processes: Deployments, the Job(s), and Pods (the helm test)."""
    return objects.of_kind("Deployment") + objects.of_kind("Job") + objects.of_kind("Pod")


@contextlib.contextmanager
def run_release(values: str, docs: list[Obj], servers: Servers, work: Path, **kw: Any) -> Iterator[Release]:
    """Starts the release; stops every process it started when the block ends."""
    objects = Objects(docs, namespace=NAMESPACE)
    cluster = Cluster(objects, work)
    for (service, port), host_port in kw.get("external", {}).items():
        cluster.bind_external(service, port, host_port)
    started = time.monotonic()
    cluster.plan(_workloads(objects), replicas=kw.get("replicas"))
    release = Release(values, objects, cluster, servers, admin_password=kw["admin_password"])
    try:
        for job in objects.of_kind("Job"):
            steps = cluster.run_to_completion(cluster.pods[job["metadata"]["name"]], timeout=JOB_TIMEOUT)
            release.timings.update({f"  {step}": took for step, took in steps.items()})
        release.timings["migration job"] = time.monotonic() - started
        deployments = [d["metadata"]["name"] for d in objects.of_kind("Deployment")]
        mains = [c for d in deployments for pod in cluster.replicas(d) for c in pod.main]
        for container in mains:
            cluster.start(container)
        cluster.wait_ready(mains, timeout=READY_TIMEOUT)
        release.timings["until every pod is ready"] = time.monotonic() - started
        yield release
    finally:
        cluster.stop_all()


__all__ = ["PodFailed", "Release", "Servers", "require_redis_password", "run_release", "secret"]
