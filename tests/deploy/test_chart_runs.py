"""The chart's pods, started as the chart describes them, serve a ticket and its attachment.

There is no cluster and no container runtime here, so the test plays both, for the
quick-start values and ``ci/production-values.yaml``:

- **Rendering**: ``helm template`` (helm as ``tools/chart_check.py`` obtains it),
  the objects ``helm install`` would create.
- **The operator**: real PostgreSQL, NATS (JetStream) and Redis started on free
  ports. With the production values they are the "managed" servers, named in the
  Secret ``helpdesk-external`` the values expect to exist (made here as ``kubectl
  create secret`` would). With the quick-start values, the built-in StatefulSets
  are replaced by the same real servers: their Services (``helpdesk-postgresql``,
  ``helpdesk-nats``, ``helpdesk-redis``) resolve to them, Redis requires the
  rendered ``redis-password`` as ``--requirepass`` would, and PostgreSQL has the
  rendered user and database (it authenticates 127.0.0.1 by ``trust``, so the
  rendered password is sent but not checked).
- **The cluster** (``cluster.py``, ``sandbox.py``): the migration Job, then one pod of
  every Deployment, each container as a process running the image's entrypoint
  (``image.py`` reads it from the Dockerfile; ``python`` is the workspace venv's,
  shown at the image's ``/app/.venv``) with exactly the rendered environment
  (ConfigMaps and Secrets resolved; a missing one fails), as the pod's non-root
  user, in a private mount namespace where everything is read-only but the pod's
  volumes (fresh directories at their mountPaths). Each pod gets its own free
  ports: only the port settings are rewritten, and Services resolve to
  ``127.0.0.1:<port of the pod>``. The Job runs before the Deployments start
  (with the quick-start values it is a post-install hook: in a cluster the services
  restart until it has finished; here they start once it has).

Not emulated: replicas (one pod per Deployment), the ``preStop`` sleep, image pulls,
and the image's narrower venv (the workspace venv has every package).
"""

from __future__ import annotations

import base64
import importlib.util
import logging
import secrets
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpdesk_kit.servers import NatsServer, PostgresServer, RedisServer

from .cluster import compile_bytecode, container_uid
from .release import Release, Servers, require_redis_password, run_release, secret
from .walk import admin_session, create_ticket_with_plan, wait_for

pytestmark = pytest.mark.e2e

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / "charts" / "helpdesk" / "ci"
VALUE_SETS = ["quickstart-values.yaml", "production-values.yaml"]


def _chart_check() -> Any:
    """tools/chart_check.py, the one way the repository renders and checks the chart."""
    if "chart_check" not in sys.modules:
        spec = importlib.util.spec_from_file_location("chart_check", ROOT / "tools" / "chart_check.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["chart_check"] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules["chart_check"]


@pytest.fixture(scope="module")
def helm() -> Path:
    check = _chart_check()
    try:
        path: Path = check.obtain_helm()
    except check.HelmUnavailable as missing:
        pytest.skip(f"helm cannot be obtained: {missing}")
    compile_bytecode()
    return path


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    server = PostgresServer(tmp_path_factory.mktemp("deploy-postgres"), durable=False)
    server.start()
    yield server
    server.destroy()


def _quickstart(helm: Path, servers: Servers) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    docs = _chart_check().render(helm, CI / "quickstart-values.yaml")
    (chart_secret,) = [
        d for d in docs if (d["kind"], d["metadata"]["name"]) == ("Secret", "helpdesk-secrets")
    ]
    data = {k: _b64(v) for k, v in chart_secret["data"].items()}
    require_redis_password(servers.redis, data["redis-password"])
    external = {
        ("helpdesk-postgresql", 5432): servers.postgres.port,
        ("helpdesk-nats", 4222): servers.nats.port,
        ("helpdesk-nats", 8222): servers.nats.monitor_port,
        ("helpdesk-redis", 6379): servers.redis.port,
    }
    return docs, {"external": external, "admin_password": data["HELPDESK_ADMIN_PASSWORD"]}


def _production(helm: Path, servers: Servers) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    docs = _chart_check().render(helm, CI / "production-values.yaml")
    password = "prod-" + secrets.token_hex(8)
    external = secret(
        "helpdesk-external",
        {
            "HELPDESK_DATABASE_URL": servers.database_url,
            "HELPDESK_NATS_URL": servers.nats.url,
            "HELPDESK_REDIS_URL": servers.redis.url,
            "HELPDESK_ADMIN_PASSWORD": password,
        },
    )
    return [*docs, external], {"admin_password": password}


def _b64(value: str) -> str:
    return base64.b64decode(value).decode()


OPERATORS = {"quickstart-values.yaml": _quickstart, "production-values.yaml": _production}


@pytest.fixture(scope="module", params=VALUE_SETS)
def release(
    request: pytest.FixtureRequest,
    helm: Path,
    postgres: PostgresServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Release]:
    values: str = request.param
    work = tmp_path_factory.mktemp(f"deploy-{values.removesuffix('.yaml')}")
    database = "helpdesk" if values.startswith("quickstart") else "helpdesk_production"
    if database != postgres.database:
        postgres.create_database(database)
    with NatsServer(work / "nats") as nats, RedisServer(work / "redis") as redis:
        servers = Servers(postgres=postgres, database=database, nats=nats, redis=redis)
        docs, setup = OPERATORS[values](helm, servers)
        started = time.monotonic()
        with run_release(values, docs, servers, work, **setup) as running:
            yield running
            running.timings["whole release"] = time.monotonic() - started
            log.info("%s: %s", values, ", ".join(f"{k} {v:.1f} s" for k, v in running.timings.items()))


# ------------------------------------------------------------------------------ the pods


def test_every_deployment_runs_as_its_pod_user_and_answers_its_probes(release: Release) -> None:
    for pod in release.deployments():
        (container,) = pod.main
        assert container.process is not None and container.process.poll() is None
        assert container_uid(container.process.pid) == container.spec.uid != 0
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert release.cluster.probe(container, probe), f"{pod.name} {probe}"


# -------------------------------------------------------------------- the walking skeleton


def test_a_ticket_created_through_the_gateway_is_read_back_and_breaches_its_sla(release: Release) -> None:
    with httpx.Client(base_url=release.gateway_url, timeout=15) as api:
        auth = admin_session(api, release.admin_password)
        ticket = create_ticket_with_plan(api, auth, reaction_seconds=2)

        read = api.get(f"/api/v1/tickets/{ticket['id']}", headers=auth)
        assert read.status_code == 200, read.text
        assert read.json()["subject"] == ticket["subject"]
        # sla consumed TicketCreated, its timer fired the breach, tickets consumed SlaStateChanged.
        url = f"/api/v1/tickets/{ticket['id']}"
        breached = wait_for(lambda: api.get(url, headers=auth).json()["sla_state"] == "breached", timeout=30)
        assert breached, api.get(f"/api/v1/tickets/{ticket['id']}/sla", headers=auth).text
        clocks = api.get(f"/api/v1/tickets/{ticket['id']}/sla", headers=auth).json()
        assert clocks["reaction"]["state"] == "breached"


def test_an_attachment_uploaded_through_the_gateway_downloads_unchanged(release: Release) -> None:
    content = secrets.token_bytes(300_000)
    with httpx.Client(base_url=release.gateway_url, timeout=30) as api:
        auth = admin_session(api, release.admin_password)
        ticket = create_ticket_with_plan(api, auth, reaction_seconds=3600)
        uploaded = api.post(
            f"/api/v1/tickets/{ticket['id']}/attachments",
            files={"file": ("report.bin", content, "application/octet-stream")},
            headers=auth,
        )
        assert uploaded.status_code == 201, uploaded.text
        downloaded = api.get(f"/api/v1/attachments/{uploaded.json()['id']}", headers=auth)

    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.content == content
