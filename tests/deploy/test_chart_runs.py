"""The chart's pods, started as the chart describes them, serve a ticket and its attachment,
and each holds only its own credentials.

There is no cluster and no container runtime here, so the test plays both, for the
quick-start values and ``ci/production-values.yaml``:

- **Rendering**: ``helm template`` (helm as ``tools/chart_check.py`` obtains it),
  the objects ``helm install`` would create.
- **The operator** (``operators.py``): real PostgreSQL, NATS (JetStream) and Redis
  started on free ports, each requiring credentials. With the production values they
  are the "managed" servers: a database role per service made with the SQL of
  docs/operations.md, a three-node NATS cluster (the streams have three replicas)
  with the users ``tools/nats_config.py`` writes, a Secret per service with its
  URLs and key ring (made here as ``kubectl create secret`` would), certificates
  issued for the rendered cert-manager Certificates, attachments in an S3 stand-in
  (moto) with keys from the Secret ``helpdesk-s3``, traces to an OTLP collector: the
  S3 endpoint and the collector are set with one more values file layered on the set.
  With the quick-start values, the built-in StatefulSets are replaced by the same
  real servers, configured as the rendered pods would be: their Services
  (``helpdesk-postgresql``, ``helpdesk-nats``, ``helpdesk-redis``) resolve to them,
  PostgreSQL's superuser has the rendered password and TCP connections must
  authenticate, NATS runs the rendered user configuration with the passwords from the
  services' Secrets, Redis requires the rendered password.
- **The cluster** (``cluster.py``, ``network.py``, ``sandbox.py``): the migration Job
  (with the quick-start values it first makes the services' database roles as the
  superuser), then the pods of every Deployment, each container as a process running
  the image's entrypoint (``image.py`` reads it from the Dockerfile; ``python`` is the
  workspace venv's, shown at the image's ``/app/.venv``) with exactly the rendered
  environment (ConfigMaps and Secrets resolved; a missing one fails), as the pod's
  non-root user, in a private mount namespace where everything is read-only but the
  pod's volumes (fresh directories at their mountPaths; Secret volumes such as the
  service's certificate written with their mode, owned by the pod's fsGroup). Each pod
  gets its own free ports: only the port settings are rewritten, and Services resolve
  to ``127.0.0.1:<port of the pod>`` (the headless gRPC Services to every pod behind
  them). The Job runs before the Deployments start (with the quick-start values it is
  a post-install hook: in a cluster the services restart until it has finished; here
  they start once it has). The ``helm test`` Pod runs last, the same way.

Not emulated: replicas (one pod per Deployment, but three tickets pods with the
production values, to show gRPC calls reach each), NetworkPolicies (checked by
``make chart-check`` and ``tests/contracts``, not enforced here: every process
shares the host's network), the ``preStop`` sleep, image pulls, and the image's
narrower venv (the workspace venv has every package).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import grpc
import httpx
import nats
import nats.errors
import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from helpdesk_devstack.servers import PostgresServer

from .cluster import compile_bytecode, container_uid
from .operators import OPERATORS, SPECS
from .release import Release, run_release
from .walk import admin_session, create_ticket_with_plan, wait_for

pytestmark = pytest.mark.e2e
log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
VALUE_SETS = ["quickstart-values.yaml", "production-values.yaml"]
STREAMS = ["IDENTITY", "TICKETS", "SLA", "NOTIFY", "PORTAL"]


def _chart_check() -> Any:
    """tools/chart_check.py, the one way the repository renders and checks the chart."""
    if "chart_check" not in sys.modules:
        spec = importlib.util.spec_from_file_location("chart_check", ROOT / "tools" / "chart_check.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["chart_check"] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules["chart_check"]


def _mount_namespaces() -> str | None:
    """Why the pods cannot be sandboxed here, or None when they can."""
    if os.geteuid() != 0:
        return "the pods' sandbox needs root (a mount namespace per pod, then the pod's user)"
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "true"], capture_output=True, check=False
    )
    return None if done.returncode == 0 else f"unshare --mount is refused: {done.stderr.decode().strip()}"


@pytest.fixture(scope="module")
def helm() -> Path:
    # Without mount namespaces the pods could neither have their volumes at their mountPaths
    # nor a read-only root: running them anyway would test something else, so the test stops.
    why = _mount_namespaces()
    if why is not None:
        pytest.skip(why)
    check = _chart_check()
    try:
        path: Path = check.obtain_helm()
    except check.HelmUnavailable as missing:
        pytest.skip(f"helm cannot be obtained: {missing}")
    compile_bytecode()
    return path


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    # With a password every TCP connection must authenticate (scram-sha-256), as in a cluster.
    password = secrets.token_urlsafe(16)
    server = PostgresServer(tmp_path_factory.mktemp("deploy-postgres"), durable=False, password=password)
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="module", params=VALUE_SETS)
def release(
    request: pytest.FixtureRequest,
    helm: Path,
    postgres: PostgresServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Release]:
    values: str = request.param
    work = tmp_path_factory.mktemp(f"deploy-{values.removesuffix('.yaml')}")

    def render(path: Path, overrides: list[Path] | None = None) -> list[dict[str, Any]]:
        docs: list[dict[str, Any]] = _chart_check().render(helm, path, overrides=overrides or [])
        return docs

    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        docs, servers, setup = OPERATORS[values](render, stack, work, postgres)
        with run_release(values, docs, servers, work, **setup) as running:
            yield running
            running.timings["whole release"] = time.monotonic() - started
            log.info("%s: %s", values, ", ".join(f"{k} {v:.1f} s" for k, v in running.timings.items()))


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


# ------------------------------------------------------------------------------ the pods


def test_every_deployment_runs_as_its_pod_user_and_answers_its_probes(release: Release) -> None:
    for pod in release.deployments():
        (container,) = pod.main
        assert container.process is not None and container.process.poll() is None
        assert container_uid(container.process.pid) == container.spec.uid != 0
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert release.cluster.probe(container, probe), f"{pod.name} {probe}"


def test_health_and_metrics_answer_on_the_ops_port_and_not_on_the_public_one(release: Release) -> None:
    for pod in release.deployments():
        (container,) = pod.main
        for path in ("/healthz", "/readyz", "/metrics"):
            assert _get(container.url("ops") + path)[0] == 200, f"{pod.name} ops {path}"
            assert _get(container.url("http") + path)[0] == 404, f"{pod.name} http {path}"


def test_the_system_page_sees_every_service_and_every_stream(release: Release) -> None:
    everyone = {
        name: "up"
        for name in ("gateway", "identity", "tickets", "sla", "notify", "mailin", "portal", "realtime")
    }
    pages: list[httpx.Response] = []

    def all_up() -> bool:
        system = api.get("/api/v1/system", headers=auth)
        pages.append(system)
        body = system.json() if system.status_code == 200 else {}
        return (
            {s["name"]: s["status"] for s in body.get("services", [])} == everyone
            and body["queues"]["status"] == "up"
            and {s["name"] for s in body["queues"]["streams"]} >= set(STREAMS)
        )

    # Its checks give each dependency a second: on a loaded machine a reconnecting
    # channel (servers close connections after a minute) may miss one; a few tries.
    with httpx.Client(base_url=release.gateway_url, timeout=15) as api:
        auth = admin_session(api, release.admin_password)
        seen = wait_for(all_up, timeout=20, every=1)

    assert seen, pages[-1].text


def test_the_streams_have_the_replicas_the_values_ask_for(release: Release) -> None:
    wanted = int(release.objects.data("ConfigMap", "helpdesk-env")["HELPDESK_NATS_STREAM_REPLICAS"])
    # The gateway's own NATS user may read the streams' state (its system page does).
    gateway_nats = release.env("gateway")["HELPDESK_NATS_URL"]

    async def replicas() -> dict[str, int]:
        nc = await nats.connect(gateway_nats.split(","))
        try:
            js = nc.jetstream()
            return {s: (await js.stream_info(s)).config.num_replicas or 1 for s in STREAMS}
        finally:
            await nc.close()

    assert asyncio.run(replicas()) == dict.fromkeys(STREAMS, wanted)
    assert wanted == (3 if release.values.startswith("production") else 1)


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
    promql = __import__("promql")
    metrics = _get(release.container("sla").url("ops") + "/metrics")[1]
    breaches = {
        s.labels.get("clock"): s.value
        for _, s in promql.scraped_samples(metrics)
        if s.name == "sla_breaches_total"
    }
    assert breaches.get("reaction", 0) >= 1, metrics


def test_an_attachment_uploaded_through_the_gateway_downloads_unchanged_from_where_the_values_say(
    release: Release,
) -> None:
    content = secrets.token_hex(150_000).encode()  # 300 kB of text/plain (an allowed type)
    with httpx.Client(base_url=release.gateway_url, timeout=30) as api:
        auth = admin_session(api, release.admin_password)
        ticket = create_ticket_with_plan(api, auth, reaction_seconds=3600)
        uploaded = api.post(
            f"/api/v1/tickets/{ticket['id']}/attachments",
            files={"file": ("report.txt", content, "text/plain")},
            headers=auth,
        )
        assert uploaded.status_code == 201, uploaded.text
        downloaded = api.get(f"/api/v1/attachments/{uploaded.json()['id']}", headers=auth)

    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.content == content
    if release.servers.s3 is not None:
        listed = release.servers.s3.list_objects_v2(Bucket="helpdesk-attachments")
        stored = [
            release.servers.s3.get_object(Bucket="helpdesk-attachments", Key=o["Key"])
            for o in listed["Contents"]
        ]
        assert content in [o["Body"].read() for o in stored]
    else:
        claim = release.cluster.claim_path("helpdesk-attachments")
        assert content in [p.read_bytes() for p in claim.rglob("*") if p.is_file()]


# ------------------------------------------------------------------------------- trust

GRPC_SERVICES = [s.name for s in SPECS if s.grpc]
SEALING_SERVICES = {"identity", "notify", "mailin"}
NATS_SERVICES = {s.name for s in SPECS if s.nats is not None}


def _process_env(container: Any) -> dict[str, str]:
    """The environment the running process really has (what the kubelet gave it)."""
    raw = Path(f"/proc/{container.process.pid}/environ").read_bytes()
    return dict(item.decode().split("=", 1) for item in raw.split(b"\0") if b"=" in item)


def _mounted_secret(release: Release, pod: Any, path: str) -> tuple[str, dict[str, str]]:
    """The Secret a pod mounts at ``path``, and its data."""
    spec = pod_of_doc(pod.doc)["spec"]
    (container,) = spec["containers"]
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == path]
    (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
    assert mount.get("readOnly") is True, mount
    name = volume["secret"]["secretName"]
    return name, release.objects.data("Secret", name)


def pod_of_doc(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["spec"]["template"]


def test_each_pod_runs_with_its_own_certificate_database_role_nats_user_and_key_ring(
    release: Release,
) -> None:
    seen: dict[str, set[str]] = {"secret": set(), "nats": set(), "database": set(), "keys": set()}
    for pod in release.deployments():
        (container,) = pod.main
        service = pod.doc["metadata"]["name"].removeprefix("helpdesk-")
        env = _process_env(container)

        secret_name, tls = _mounted_secret(release, pod, env["HELPDESK_TLS_DIR"])
        cert = x509.load_pem_x509_certificate(tls["tls.crt"].encode())
        ca = x509.load_pem_x509_certificate(tls["ca.crt"].encode())
        cert.verify_directly_issued_by(ca)
        assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == service
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.DNSName) == [service]
        seen["secret"].add(secret_name)

        if service in NATS_SERVICES:
            nats_user = urllib.parse.urlsplit(env["HELPDESK_NATS_URL"].split(",")[0])
            assert (nats_user.username, bool(nats_user.password)) == (service, True)
            seen["nats"].add(nats_user.password or "")
        else:
            assert "HELPDESK_NATS_URL" not in env, service
        if service in release.servers.roles:
            role = urllib.parse.urlsplit(env["HELPDESK_DATABASE_URL"])
            assert (role.username, bool(role.password)) == (release.servers.roles[service], True)
            seen["database"].add(role.username or "")
        else:
            assert "HELPDESK_DATABASE_URL" not in env
        assert ("HELPDESK_SECRET_KEYS" in env) == (service in SEALING_SERVICES), service
        seen["keys"].add(env.get("HELPDESK_SECRET_KEYS", ""))

    services = len(release.deployments())
    assert len(seen["secret"]) == services
    assert len(seen["nats"]) == len(NATS_SERVICES)
    # identity, tickets, sla, notify, mailin, portal
    assert len(seen["database"]) == len(release.servers.roles) == 6
    assert len(seen["keys"] - {""}) == len(SEALING_SERVICES)


def _health(target: str, credentials: grpc.ChannelCredentials, name: str) -> grpc.StatusCode:
    async def check() -> grpc.StatusCode:
        options = [("grpc.ssl_target_name_override", name)]
        async with grpc.aio.secure_channel(target, credentials, options=options) as channel:
            try:
                await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
            except grpc.aio.AioRpcError as error:
                return error.code()
            return grpc.StatusCode.OK

    return asyncio.run(check())


def test_a_grpc_port_refuses_a_caller_without_a_service_certificate(release: Release) -> None:
    gateway_pod = release.cluster.pods["helpdesk-gateway"]
    _, tls = _mounted_secret(release, gateway_pod, release.env("gateway")["HELPDESK_TLS_DIR"])
    ca = tls["ca.crt"].encode()
    gateway = grpc.ssl_channel_credentials(
        root_certificates=ca, private_key=tls["tls.key"].encode(), certificate_chain=tls["tls.crt"].encode()
    )
    anonymous = grpc.ssl_channel_credentials(root_certificates=ca)
    for service in GRPC_SERVICES:
        target = f"127.0.0.1:{release.container(service).ports['grpc']}"

        assert _health(target, anonymous, service) == grpc.StatusCode.UNAVAILABLE, service
        assert _health(target, gateway, service) == grpc.StatusCode.OK, service


def test_the_tickets_login_cannot_read_identitys_users_and_every_login_needs_its_password(
    release: Release,
) -> None:
    url = release.env("tickets")["HELPDESK_DATABASE_URL"]

    async def attempt() -> tuple[int, str, str]:
        conn = await asyncpg.connect(url)
        try:
            own = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'tickets'")
            try:
                await conn.fetch("SELECT * FROM identity.users LIMIT 1")
                other = "read"
            except asyncpg.InsufficientPrivilegeError as error:
                other = type(error).__name__
        finally:
            await conn.close()
        try:
            await (await asyncpg.connect(url, password="wrong")).close()
            guessed = "connected"
        except asyncpg.InvalidPasswordError as error:
            guessed = type(error).__name__
        return own, other, guessed

    own, other, guessed = asyncio.run(attempt())

    assert own > 0  # its own schema, migrated by itself
    assert other == "InsufficientPrivilegeError"
    assert guessed == "InvalidPasswordError"


def test_nats_refuses_an_anonymous_connection(release: Release) -> None:
    async def anonymous(server: str) -> str:
        try:
            nc = await nats.connect(
                server, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=3
            )
        except (nats.errors.Error, OSError) as error:
            return str(error)
        await nc.close()
        return "connected"

    for server in release.servers.nats_url.split(","):
        assert "Authorization Violation" in asyncio.run(anonymous(server)), server


def test_the_gateways_calls_reach_every_tickets_replica(release: Release) -> None:
    replicas = release.replicas("tickets")
    assert len(replicas) == (3 if release.values.startswith("production") else 1)
    promql = __import__("promql")

    def answered() -> list[float]:
        counts = []
        for pod in replicas:
            (container,) = pod.main
            samples = promql.scraped_samples(_get(container.url("ops") + "/metrics")[1])
            counts.append(
                sum(
                    s.value
                    for _, s in samples
                    if s.name == "grpc_server_handled_total" and s.labels.get("grpc_method") == "GetTicket"
                )
            )
        return counts

    with httpx.Client(base_url=release.gateway_url, timeout=15) as api:
        auth = admin_session(api, release.admin_password)
        ticket = create_ticket_with_plan(api, auth, reaction_seconds=3600)
        before = answered()
        for _ in range(30):
            assert api.get(f"/api/v1/tickets/{ticket['id']}", headers=auth).status_code == 200
        after = answered()

    assert all(a > b for a, b in zip(after, before, strict=True)), (before, after)


# ------------------------------------------------------------------------ observability


def test_the_dashboard_and_the_alerts_read_only_metrics_the_pods_export(release: Release) -> None:
    promql = __import__("promql")  # tools/promql.py, on sys.path once chart_check is loaded
    exported: set[str] = set()
    for pod in release.deployments():
        (container,) = pod.main
        status, text = _get(container.url("ops") + "/metrics")
        assert status == 200
        exported |= promql.exported_names(promql.scraped_families(text))
    queries = promql.dashboard_queries(ROOT / "charts" / "helpdesk" / "dashboards" / "helpdesk.json")
    queries += [
        r["expr"]
        for d in release.objects.of_kind("PrometheusRule")
        for g in d["spec"]["groups"]
        for r in g["rules"]
    ]

    assert {
        q: sorted(promql.metric_names(q) - exported) for q in queries if promql.metric_names(q) - exported
    } == {}


def test_requests_are_traced_to_the_collector_the_values_name(release: Release) -> None:
    env = release.objects.data("ConfigMap", "helpdesk-env")
    if release.servers.spans is None:
        assert "HELPDESK_OTLP_ENDPOINT" not in env  # the quick start exports no traces
        return
    with httpx.Client(base_url=release.gateway_url, timeout=15) as api:
        auth = admin_session(api, release.admin_password)
        create_ticket_with_plan(api, auth, reaction_seconds=3600)

    def traced(spans: list[Any]) -> bool:
        return {"gateway", "tickets", "sla", "notify"} <= {s.service for s in spans}

    assert traced(release.servers.spans.wait_for(traced, timeout=30))


def test_the_helm_test_pod_passes_against_the_running_release(release: Release) -> None:
    (pod,) = release.objects.of_kind("Pod")
    test_pod = release.cluster.pods[pod["metadata"]["name"]]

    release.cluster.run_to_completion(test_pod, timeout=60)

    (container,) = test_pod.main
    assert container.log_tail().count("ok  ") == 4, container.log_tail()
