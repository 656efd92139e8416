"""Our rules for the NetworkPolicies the chart renders (a part of ``tools/chart_check.py``).

kubernetes-validate knows the NetworkPolicy schema; these rules are about meaning:

- an ingress rule names who it admits: a rule without ``from`` (or with an empty one)
  admits every address, which is never what a rule of ours means (egress rules
  without ``to`` are allowed: "any address on these ports" is how the values say
  "the world");
- when the chart renders NetworkPolicies, every pod it runs is selected by one, so
  no pod is left open by being forgotten;
- a named port in a rule is a port of the pods the policy selects.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Obj = dict[str, Any]
WORKLOADS = {"Deployment", "StatefulSet", "Job"}


def _where(doc: Obj) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def _pod(doc: Obj) -> Obj:
    template: Obj = doc["spec"]["template"]
    return template


def _selects(policy: Obj, labels: dict[str, str]) -> bool:
    selector = policy["spec"].get("podSelector") or {}
    wanted = selector.get("matchLabels") or {}
    if not wanted.items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions") or []:
        value = labels.get(expression["key"])
        operator = expression["operator"]
        if operator == "In" and value not in expression["values"]:
            return False
        if operator == "NotIn" and value in expression["values"]:
            return False
        if operator == "Exists" and value is None:
            return False
        if operator == "DoesNotExist" and value is not None:
            return False
    return True


def _named_ports(pod: Obj) -> set[str]:
    containers = pod["spec"].get("containers", []) + pod["spec"].get("initContainers", [])
    return {p["name"] for c in containers for p in c.get("ports") or [] if "name" in p}


def _rules(policy: Obj) -> Iterator[tuple[str, Obj]]:
    for direction in ("ingress", "egress"):
        for rule in policy["spec"].get(direction) or []:
            yield direction, rule


def network_policy_problems(docs: list[Obj]) -> list[str]:
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    if not policies:
        return []
    workloads = [d for d in docs if d["kind"] in WORKLOADS]
    problems = []
    for doc in workloads:
        labels = _pod(doc)["metadata"].get("labels") or {}
        if not any(_selects(p, labels) for p in policies):
            problems.append(f"{_where(doc)}: no NetworkPolicy selects its pods")
    for policy in policies:
        selected = [_pod(d) for d in workloads if _selects(policy, _pod(d)["metadata"].get("labels") or {})]
        if not selected:
            problems.append(f"{_where(policy)}: selects no pod of the release")
        ports = set().union(*(_named_ports(p) for p in selected)) if selected else set()
        for direction, rule in _rules(policy):
            if direction == "ingress" and not rule.get("from"):
                problems.append(f"{_where(policy)}: an ingress rule without `from` admits every address")
            for port in rule.get("ports") or []:
                named = port.get("port")
                if direction == "ingress" and isinstance(named, str) and named not in ports:
                    problems.append(f"{_where(policy)}: port {named!r} is no port of the pods it selects")
    return problems
