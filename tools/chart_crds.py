"""Structural checks of the Prometheus Operator and cert-manager objects the chart renders.

kubernetes-validate has no schema for CRD kinds, so ``tools/chart_check.py`` checks
these itself: a ServiceMonitor selects exactly one rendered Service and scrapes one
of its ports; a PrometheusRule has named groups of rules, each alert with an
expression, a valid ``for``, a severity, a summary, a description and a
``runbook_url`` that points at an existing section of ``docs/operations.md``; a
Certificate names one service as common and DNS name, is usable as server and
client, comes from a named issuer, and its Secret is mounted by that service's
Deployment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

Obj = dict[str, Any]
ROOT = Path(__file__).resolve().parents[1]
OPERATIONS = ROOT / "docs" / "operations.md"
SEVERITIES = {"critical", "warning", "info"}
_DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_GO_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(h|m|s))+$")
# What each service's certificate must be good for: it is server and client of the others.
CERTIFICATE_USAGES = {"server auth", "client auth"}


def _where(doc: Obj) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def markdown_anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown file (lower case, punctuation
    dropped, spaces to hyphens; a repeated heading gets -1, -2...)."""
    anchors: set[str] = set()
    in_code = False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        match = None if in_code else _HEADING.match(line)
        if not match:
            continue
        text = re.sub(r"[`*_]|\[([^]]*)\]\([^)]*\)", r"\1", match.group(1))
        slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
        anchor, n = slug, 0
        while anchor in anchors:
            n += 1
            anchor = f"{slug}-{n}"
        anchors.add(anchor)
    return anchors


def service_monitor_problems(doc: Obj, docs: list[Obj]) -> list[str]:
    spec = doc.get("spec", {})
    wanted = spec.get("selector", {}).get("matchLabels", {})
    services = [
        d
        for d in docs
        if d["kind"] == "Service" and wanted and wanted.items() <= (d["metadata"].get("labels") or {}).items()
    ]
    if len(services) != 1:
        return [f"{_where(doc)}: selector matches {len(services)} Services, expected 1"]
    ports = {p["name"] for p in services[0]["spec"]["ports"]}
    problems = []
    for endpoint in spec.get("endpoints") or [{}]:
        if endpoint.get("port") not in ports or not str(endpoint.get("path", "")).startswith("/"):
            problems.append(f"{_where(doc)}: endpoint {endpoint} is not a port and path")
    return problems


def _rule_problems(where: str, rule: Obj, anchors: set[str]) -> list[str]:
    name = rule.get("alert") or rule.get("record")
    if not isinstance(name, str) or not re.match(r"^[A-Za-z_:][A-Za-z0-9_:]*$", name):
        return [f"{where}: a rule without a valid alert or record name: {rule}"]
    where = f"{where} {name}"
    problems = []
    if not isinstance(rule.get("expr"), str) or not rule["expr"].strip():
        problems.append(f"{where}: no expr")
    if "for" in rule and not _DURATION.match(str(rule["for"])):
        problems.append(f"{where}: for {rule['for']!r} is not a duration")
    if "alert" not in rule:
        return problems
    if (rule.get("labels") or {}).get("severity") not in SEVERITIES:
        problems.append(f"{where}: labels.severity is not one of {sorted(SEVERITIES)}")
    annotations = rule.get("annotations") or {}
    for key in ("summary", "description", "runbook_url"):
        if not annotations.get(key):
            problems.append(f"{where}: no {key} annotation")
    url = str(annotations.get("runbook_url", ""))
    base, _, anchor = url.partition("#")
    if not (base.startswith(("https://", "http://")) and base.endswith("docs/operations.md")):
        problems.append(f"{where}: runbook_url {url!r} does not point at docs/operations.md")
    elif anchor not in anchors:
        problems.append(f"{where}: runbook_url anchor #{anchor} is no section of docs/operations.md")
    return problems


def prometheus_rule_problems(doc: Obj, docs: list[Obj]) -> list[str]:
    groups = (doc.get("spec") or {}).get("groups")
    if not isinstance(groups, list) or not groups:
        return [f"{_where(doc)}: spec.groups is not a non-empty list"]
    anchors = markdown_anchors(OPERATIONS)
    problems = []
    names = [g.get("name") for g in groups]
    if len(set(names)) != len(names) or not all(isinstance(n, str) and n for n in names):
        problems.append(f"{_where(doc)}: group names {names} are not unique non-empty strings")
    for group in groups:
        rules = group.get("rules")
        if not isinstance(rules, list) or not rules:
            problems.append(f"{_where(doc)} group {group.get('name')}: no rules")
            continue
        for rule in rules:
            problems += _rule_problems(f"{_where(doc)} group {group.get('name')}", rule, anchors)
    return problems


def _mounted_secrets(deployment: Obj) -> set[str]:
    volumes = deployment["spec"]["template"]["spec"].get("volumes") or []
    return {v["secret"]["secretName"] for v in volumes if "secret" in v}


def certificate_problems(doc: Obj, docs: list[Obj]) -> list[str]:
    spec = doc.get("spec") or {}
    name = spec.get("commonName")
    problems = []
    if not name or spec.get("dnsNames") != [name]:
        problems.append(f"{_where(doc)}: commonName {name!r} is not the one dnsName {spec.get('dnsNames')}")
    if not set(spec.get("usages") or []) >= CERTIFICATE_USAGES:
        problems.append(f"{_where(doc)}: usages {spec.get('usages')} lack {sorted(CERTIFICATE_USAGES)}")
    issuer = spec.get("issuerRef") or {}
    if not issuer.get("name") or issuer.get("kind") not in ("Issuer", "ClusterIssuer"):
        problems.append(f"{_where(doc)}: issuerRef {issuer} names no Issuer or ClusterIssuer")
    for key in ("duration", "renewBefore"):
        if key in spec and not _GO_DURATION.match(str(spec[key])):
            problems.append(f"{_where(doc)}: {key} {spec[key]!r} is not a duration")
    mounting = [
        d
        for d in docs
        if d["kind"] == "Deployment"
        and (d["spec"]["template"]["metadata"].get("labels") or {}).get("app.kubernetes.io/name") == name
    ]
    if not spec.get("secretName") or not any(spec["secretName"] in _mounted_secrets(d) for d in mounting):
        problems.append(f"{_where(doc)}: Secret {spec.get('secretName')!r} is not mounted by the {name} pods")
    return problems


# (apiVersion, kind) -> structural check, for kinds without a schema in kubernetes-validate.
CRD_CHECKS: dict[tuple[str, str], Callable[[Obj, list[Obj]], list[str]]] = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): service_monitor_problems,
    ("monitoring.coreos.com/v1", "PrometheusRule"): prometheus_rule_problems,
    ("cert-manager.io/v1", "Certificate"): certificate_problems,
}
