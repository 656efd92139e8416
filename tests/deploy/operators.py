"""The operator's part for each value set the deploy test runs: servers, logins and Secrets.

What a value set expects to exist before ``helm install`` is made here, as an
operator would make it: the servers (real ones, on free ports), the logins on them
and the Secrets the values name (``kubectl create secret generic``). External
endpoints written into the values (the S3 endpoint, the OTLP collector) are pointed
at stand-ins the test runs, with one more values file layered on top, as an operator
with MinIO would do.

- **Quick start**: the built-in StatefulSets are replaced by real servers behind
  their Services, configured as the rendered objects configure the pods: PostgreSQL's
  superuser has the rendered password and TCP connections must give theirs (the
  services' roles are then made by the migration Job's first step, as in a cluster);
  NATS runs the rendered ``auth.conf`` with the passwords its container's environment
  resolves to (no anonymous access); Redis requires the rendered password.
- **Production**: a database with a role per service made with the SQL of
  docs/operations.md, a three-node NATS cluster with the users
  ``tools/nats_config.py`` writes, a Secret per service with its URLs and key ring,
  and cert-manager's part: a Secret per rendered Certificate, issued by a CA of the
  test (what a CA Issuer does: ``ca.crt`` is that CA).
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import yaml
from moto.server import ThreadedMotoServer

from helpdesk_devstack.config import load_config
from helpdesk_devstack.pki import CertificateAuthority
from helpdesk_devstack.servers import PG_SUPERUSER, NatsServer, PostgresServer, RedisServer, free_port
from helpdesk_devstack.testing.otlp import SpanCollector

from .natscluster import NatsCluster
from .objects import Obj, Objects, container_env, pod_of
from .release import NAMESPACE, Servers, require_redis_password, secret

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / "charts" / "helpdesk" / "ci"
SPECS = load_config(ROOT / "devstack.toml")
Render = Callable[..., list[Obj]]
Prepared = tuple[list[Obj], Servers, dict[str, Any]]
# The production database's roles: a managed database's names need not be the services'.
PRODUCTION_ROLE = "helpdesk_{service}"
# How many tickets pods the production values run here: round robin must reach each.
PRODUCTION_REPLICAS = {"helpdesk-tickets": 3}


def require_postgres_password(postgres: PostgresServer, user: str, password: str) -> None:
    """What the postgres image does with POSTGRES_USER / POSTGRES_PASSWORD on first start:
    the superuser gets the rendered password (TCP already requires one: see the fixture)."""
    assert user == PG_SUPERUSER, f"the stand-in's superuser is {PG_SUPERUSER}, the values say {user}"
    quoted = password.replace("'", "''")
    postgres.psql(f"ALTER ROLE \"{PG_SUPERUSER}\" PASSWORD '{quoted}'")
    postgres.password = password


def rendered_nats_config(objects: Objects, statefulset: str) -> str:
    """The configuration the built-in NATS pod reads (``--config``), with the ``$NAME``
    references nats-server resolves from its environment filled in from the container's
    resolved environment (each password from its service's Secret)."""
    pod = pod_of(objects.get("StatefulSet", statefulset) or {})
    (container,) = pod["spec"]["containers"]
    (path,) = [a.split("=", 1)[1] for a in container["args"] if a.startswith("--config=")]
    (mount,) = [m for m in container["volumeMounts"] if path.startswith(m["mountPath"].rstrip("/") + "/")]
    (volume,) = [v for v in pod["spec"]["volumes"] if v["name"] == mount["name"]]
    text = objects.data("ConfigMap", volume["configMap"]["name"])[path.removeprefix(mount["mountPath"] + "/")]
    env = container_env(objects, pod, container)

    def value(match: re.Match[str]) -> str:
        return json.dumps(env[match.group(1)]) if match.group(1) in env else match.group(0)

    return re.sub(r"\$([A-Za-z_][A-Za-z0-9_]*)", value, text)


def quickstart(render: Render, stack: contextlib.ExitStack, work: Path, postgres: PostgresServer) -> Prepared:
    """The defaults: the built-in StatefulSets are replaced by real servers behind their Services."""
    docs = render(CI / "quickstart-values.yaml")
    objects = Objects(docs, namespace=NAMESPACE)
    data = objects.data("Secret", "helpdesk-secrets")
    pg_pod = pod_of(objects.get("StatefulSet", "helpdesk-postgresql") or {})
    (pg,) = pg_pod["spec"]["containers"]
    pg_env = container_env(objects, pg_pod, pg)
    require_postgres_password(postgres, pg_env["POSTGRES_USER"], pg_env["POSTGRES_PASSWORD"])
    nats_config = rendered_nats_config(objects, "helpdesk-nats")
    nats = stack.enter_context(NatsServer(work / "nats", config=nats_config))
    redis = stack.enter_context(RedisServer(work / "redis"))
    require_redis_password(redis, data["redis-password"])
    servers = Servers(
        postgres=postgres,
        database=pg_env["POSTGRES_DB"],
        nats_url=nats.url,
        redis=redis,
        roles={s.name: s.name for s in SPECS if s.database},
    )
    external = {
        ("helpdesk-postgresql", 5432): postgres.port,
        ("helpdesk-nats", 4222): nats.port,
        ("helpdesk-nats", 8222): nats.monitor_port,
        ("helpdesk-redis", 6379): redis.port,
    }
    return docs, servers, {"external": external, "admin_password": data["HELPDESK_ADMIN_PASSWORD"]}


def provision_roles(postgres: PostgresServer, database: str) -> dict[str, str]:
    """docs/operations.md's SQL for a managed PostgreSQL: a role per service owning the
    schema of the service's name, and the extensions; returns each service's URL."""
    urls = {}
    for spec in (s for s in SPECS if s.database):
        role = PRODUCTION_ROLE.format(service=spec.name)
        password = secrets.token_urlsafe(18)
        postgres.psql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'", database)
        postgres.psql(f"CREATE SCHEMA {spec.name} AUTHORIZATION {role}", database)
        for extension in spec.extensions:
            postgres.psql(f"CREATE EXTENSION IF NOT EXISTS {extension} SCHEMA {spec.name}", database)
        urls[spec.name] = postgres.role_url(role, password, database)
    postgres.psql("REVOKE CREATE ON SCHEMA public FROM PUBLIC", database)
    return urls


def issue_certificates(docs: list[Obj], ca: CertificateAuthority, work: Path) -> list[Obj]:
    """cert-manager with a CA Issuer: a Secret (tls.crt, tls.key, ca.crt) per Certificate."""
    issued = []
    for cert in (d for d in docs if d["kind"] == "Certificate"):
        spec = cert["spec"]
        assert spec["dnsNames"] == [spec["commonName"]], spec  # what this CA issues
        folder = ca.issue(spec["commonName"], folder=work / "certificates" / cert["metadata"]["name"])
        files = {name: (folder / name).read_text() for name in ("tls.crt", "tls.key", "ca.crt")}
        issued.append(secret(spec["secretName"], files))
    return issued


def production(render: Render, stack: contextlib.ExitStack, work: Path, postgres: PostgresServer) -> Prepared:
    """ci/production-values.yaml: managed servers with a login per service, named in a
    Secret per service, a three-node NATS cluster, cert-manager, S3, the company's IMAP CA."""
    nats = NatsCluster(work / "nats", size=3)
    nats_config = __import__("nats_config")  # tools/nats_config.py, on sys.path once chart_check is loaded
    nats.config, nats_urls = nats_config.credentials(nats.url)
    stack.enter_context(nats)
    redis = stack.enter_context(RedisServer(work / "redis"))
    postgres.create_database("helpdesk_production")
    database_urls = provision_roles(postgres, "helpdesk_production")
    moto_port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    stack.callback(moto.stop)
    spans = SpanCollector()
    spans.start()
    stack.callback(spans.stop)
    endpoint = f"http://127.0.0.1:{moto_port}"
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="eu-central-1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
    )
    s3.create_bucket(
        Bucket="helpdesk-attachments", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    overrides = work / "stand-ins.yaml"
    overrides.write_text(
        yaml.safe_dump(
            {
                "attachments": {"s3": {"endpointUrl": endpoint}},
                "telemetry": {"otlpEndpoint": f"http://{spans.endpoint}"},
            }
        )
    )
    docs = render(CI / "production-values.yaml", overrides=[overrides])
    servers = Servers(
        postgres=postgres,
        database="helpdesk_production",
        nats_url=",".join(node.url for node in nats.nodes),
        redis=redis,
        s3=s3,
        spans=spans,
        roles={name: PRODUCTION_ROLE.format(service=name) for name in database_urls},
    )
    password = "prod-" + secrets.token_hex(8)
    operator = [
        secret("helpdesk-external", {"HELPDESK_REDIS_URL": redis.url, "HELPDESK_ADMIN_PASSWORD": password}),
        secret(
            "helpdesk-s3", {"AWS_ACCESS_KEY_ID": "helpdesk", "AWS_SECRET_ACCESS_KEY": secrets.token_hex(16)}
        ),
    ]
    for spec in SPECS:
        own = {}
        if spec.nats is not None:  # mailin uses no NATS: no user
            own["HELPDESK_NATS_URL"] = nats_urls[spec.name]
        if spec.database:
            own["HELPDESK_DATABASE_URL"] = database_urls[spec.name]
        if spec.name in ("identity", "notify", "mailin"):
            own["HELPDESK_SECRET_KEYS"] = f"k1:{base64.b64encode(secrets.token_bytes(32)).decode()}"
        operator.append(secret(f"helpdesk-{spec.name}-external", own))
    operator += issue_certificates(docs, CertificateAuthority(work / "mesh-ca"), work)
    # mailin trusts the company's own IMAP certificate authority (mailin.extraVolumes).
    imap_ca = CertificateAuthority(work / "imap-ca").cert_pem.decode()
    ca_map: Obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "corporate-ca"}}
    operator.append({**ca_map, "data": {"ca.crt": imap_ca}})
    return [*docs, *operator], servers, {"admin_password": password, "replicas": PRODUCTION_REPLICAS}


OPERATORS: dict[str, Callable[..., Prepared]] = {
    "quickstart-values.yaml": quickstart,
    "production-values.yaml": production,
}
