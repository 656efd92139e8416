"""The operator's part for each value set the deploy test runs: servers and Secrets.

What a value set expects to exist before ``helm install`` is made here, as an
operator would make it: the servers (real ones, on free ports) and the Secrets the
values name (``kubectl create secret generic``). External endpoints written into
the values (the S3 endpoint, the OTLP collector) are pointed at stand-ins the test
runs, with one more values file layered on top, as an operator with MinIO would do.
"""

from __future__ import annotations

import base64
import contextlib
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import yaml
from moto.server import ThreadedMotoServer

from helpdesk_devstack.servers import NatsServer, PostgresServer, RedisServer, free_port
from helpdesk_devstack.testing.otlp import SpanCollector

from .natscluster import NatsCluster
from .objects import Obj
from .release import Servers, require_redis_password, secret

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / "charts" / "helpdesk" / "ci"
Render = Callable[..., list[Obj]]
Prepared = tuple[list[Obj], Servers, dict[str, Any]]


def _decoded(doc: Obj) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in doc["data"].items()}


def quickstart(render: Render, stack: contextlib.ExitStack, work: Path, postgres: PostgresServer) -> Prepared:
    """The defaults: the built-in StatefulSets are replaced by real servers behind their Services."""
    docs = render(CI / "quickstart-values.yaml")
    (chart_secret,) = [
        d for d in docs if (d["kind"], d["metadata"]["name"]) == ("Secret", "helpdesk-secrets")
    ]
    data = _decoded(chart_secret)
    nats = stack.enter_context(NatsServer(work / "nats"))
    redis = stack.enter_context(RedisServer(work / "redis"))
    require_redis_password(redis, data["redis-password"])
    servers = Servers(postgres=postgres, database=postgres.database, nats_url=nats.url, redis=redis)
    external = {
        ("helpdesk-postgresql", 5432): postgres.port,
        ("helpdesk-nats", 4222): nats.port,
        ("helpdesk-nats", 8222): nats.monitor_port,
        ("helpdesk-redis", 6379): redis.port,
    }
    return docs, servers, {"external": external, "admin_password": data["HELPDESK_ADMIN_PASSWORD"]}


def production(render: Render, stack: contextlib.ExitStack, work: Path, postgres: PostgresServer) -> Prepared:
    """ci/production-values.yaml: managed servers named in Secrets, a three-node NATS cluster, S3."""
    nats = stack.enter_context(NatsCluster(work / "nats", size=3))
    redis = stack.enter_context(RedisServer(work / "redis"))
    postgres.create_database("helpdesk_production")
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
        nats_url=nats.url,
        redis=redis,
        s3=s3,
        spans=spans,
    )
    password = "prod-" + secrets.token_hex(8)
    operator = [
        secret(
            "helpdesk-external",
            {
                "HELPDESK_DATABASE_URL": servers.database_url,
                "HELPDESK_NATS_URL": nats.url,
                "HELPDESK_REDIS_URL": redis.url,
                "HELPDESK_ADMIN_PASSWORD": password,
            },
        ),
        secret(
            "helpdesk-s3", {"AWS_ACCESS_KEY_ID": "helpdesk", "AWS_SECRET_ACCESS_KEY": secrets.token_hex(16)}
        ),
    ]
    return [*docs, *operator], servers, {"admin_password": password}


OPERATORS: dict[str, Callable[..., Prepared]] = {
    "quickstart-values.yaml": quickstart,
    "production-values.yaml": production,
}
