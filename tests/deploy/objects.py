"""The Kubernetes objects of a rendered release, and how a kubelet would read them.

Secrets and ConfigMaps are decoded; a container's environment is resolved exactly
as Kubernetes does it (``envFrom`` sources in order, then ``env`` entries, which win;
``$(VAR)`` references to variables defined before; ``valueFrom`` of ``secretKeyRef``,
``configMapKeyRef`` and ``fieldRef``). A reference to a Secret, ConfigMap or key that
does not exist and is not ``optional`` raises :class:`Unresolvable`, as it would
keep the pod from starting.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

Obj = dict[str, Any]
# "$$" is an escaped "$"; "$(NAME)" a reference (Kubernetes' expansion of env values,
# commands and args).
_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


class Unresolvable(AssertionError):
    """The rendered objects refer to something that does not exist."""


class Objects:
    """The objects of a namespace: those the chart rendered plus those the operator made."""

    def __init__(self, docs: list[Obj], *, namespace: str) -> None:
        self.docs = docs
        self.namespace = namespace
        self._index = {(d["kind"], d["metadata"]["name"]): d for d in docs}

    def get(self, kind: str, name: str) -> Obj | None:
        return self._index.get((kind, name))

    def of_kind(self, kind: str) -> list[Obj]:
        return [d for d in self.docs if d["kind"] == kind]

    def data(self, kind: str, name: str, *, optional: bool = False) -> dict[str, str]:
        """The decoded data of a Secret or ConfigMap."""
        doc = self.get(kind, name)
        if doc is None:
            if optional:
                return {}
            raise Unresolvable(f"{kind}/{name} does not exist")
        if kind == "Secret":
            decoded = {k: base64.b64decode(v).decode() for k, v in (doc.get("data") or {}).items()}
            return {**decoded, **(doc.get("stringData") or {})}
        return dict(doc.get("data") or {})

    def value(self, kind: str, ref: Obj) -> str | None:
        data = self.data(kind, ref["name"], optional=bool(ref.get("optional")))
        if ref["key"] not in data:
            if ref.get("optional"):
                return None
            raise Unresolvable(f"{kind}/{ref['name']} has no key {ref['key']!r}")
        return data[ref["key"]]


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' ``$(VAR)`` expansion: known names are replaced, others stay as written,
    and ``$$`` becomes ``$``."""
    return _REF.sub(lambda m: "$" if m.group(1) is None else env.get(m.group(1), m.group(0)), text)


def _field(path: str, pod: Obj, namespace: str) -> str:
    fields = {
        "metadata.name": pod["metadata"]["name"],
        "metadata.namespace": namespace,
        "spec.serviceAccountName": pod["spec"].get("serviceAccountName", "default"),
        "status.podIP": "127.0.0.1",
        "status.hostIP": "127.0.0.1",
    }
    if path not in fields:
        raise Unresolvable(f"fieldRef {path} is not supported by the deploy test")
    return fields[path]


def _env_from(objects: Objects, container: Obj) -> Iterator[tuple[str, str]]:
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix", "")
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            if key in source:
                ref = source[key]
                data = objects.data(kind, ref["name"], optional=bool(ref.get("optional")))
                for name, value in data.items():
                    yield prefix + name, value


def container_env(objects: Objects, pod: Obj, container: Obj) -> dict[str, str]:
    """The environment the kubelet gives ``container`` (the image's ENV not included)."""
    env = dict(_env_from(objects, container))
    for entry in container.get("env") or []:
        if "value" in entry or "valueFrom" not in entry:
            env[entry["name"]] = expand(str(entry.get("value", "")), env)
            continue
        source = entry["valueFrom"]
        value: str | None
        if "secretKeyRef" in source:
            value = objects.value("Secret", source["secretKeyRef"])
        elif "configMapKeyRef" in source:
            value = objects.value("ConfigMap", source["configMapKeyRef"])
        elif "fieldRef" in source:
            value = _field(source["fieldRef"]["fieldPath"], pod, objects.namespace)
        else:
            raise Unresolvable(f"env {entry['name']}: valueFrom {sorted(source)} is not supported")
        if value is not None:
            env[entry["name"]] = value
    return env


def pod_of(doc: Obj) -> Obj:
    """The pod a workload object makes (a Pod is its own)."""
    if doc["kind"] == "Pod":
        return doc
    template: Obj = doc["spec"]["template"]
    name = doc["metadata"]["name"]
    return {"metadata": {**template.get("metadata", {}), "name": name}, "spec": template["spec"]}


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and selector.items() <= labels.items()
