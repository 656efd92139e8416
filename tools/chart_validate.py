"""kubernetes-validate --strict for the rendered objects, against several Kubernetes versions.

Objects of CRD kinds it has no schema for (ServiceMonitor, PrometheusRule) are checked
structurally by ``chart_crds.py`` instead, and named in a notice.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no stubs in the dev group
from chart_crds import CRD_CHECKS

Obj = dict[str, Any]


def _where(doc: Obj) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def _kubernetes_validate() -> str:
    beside = Path(sys.executable).parent / "kubernetes-validate"
    found = str(beside) if beside.exists() else shutil.which("kubernetes-validate")
    if not found:
        raise RuntimeError("kubernetes-validate is not installed (uv sync installs it)")
    return found


def newest_kube_version() -> str:
    """The newest Kubernetes version the installed kubernetes-validate has schemas for."""
    done = subprocess.run([_kubernetes_validate(), "--help"], capture_output=True, text=True, timeout=60)
    match = re.search(r"Defaults to\s+(\d+\.\d+\.\d+)", done.stdout)
    if not match:
        raise RuntimeError(f"cannot read kubernetes-validate's default version:\n{done.stdout}")
    return match.group(1)


def major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


@dataclass
class Validation:
    passed: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def validate(docs: list[Obj], versions: Iterable[str], label: str) -> Validation:
    """kubernetes-validate --strict every object it has a schema for, per version;
    the CRD kinds it cannot know are checked structurally and named in a notice."""
    result = Validation()
    versions = list(versions)
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for index, doc in enumerate(docs):
            key = (doc["apiVersion"], doc["kind"])
            if key in CRD_CHECKS:
                result.problems += CRD_CHECKS[key](doc, docs)
                result.notices.append(
                    f"{label}: {_where(doc)} ({doc['apiVersion']}) is a CRD kind without a "
                    "schema in kubernetes-validate: checked structurally only"
                )
                continue
            path = Path(tmp) / f"{index:03d}-{doc['kind'].lower()}-{doc['metadata']['name']}.yaml"
            path.write_text(yaml.safe_dump(doc, sort_keys=False))
            files[str(path)] = _where(doc)
        if files:
            _run_kubernetes_validate(files, versions, label, result)
    return result


def _run_kubernetes_validate(
    files: dict[str, str], versions: list[str], label: str, result: Validation
) -> None:
    command = [_kubernetes_validate(), "--strict"]
    for version in versions:
        command += ["--kubernetes-version", version]
    done = subprocess.run([*command, *files], capture_output=True, text=True, timeout=900, check=False)
    seen: Counter[str] = Counter()
    for line in done.stdout.splitlines():
        match = re.match(r"INFO (\S+) passed for resource \S+ against version (\S+)", line)
        if match and match.group(1) in files:
            seen[match.group(2)] += 1
        elif line.strip():
            # ERROR (invalid), WARN (no schema: an unknown kind must not pass silently), FATAL
            for path, where in files.items():
                line = line.replace(path, where)
            result.problems.append(f"{label}: {line}")
    if done.returncode != 0 and not result.problems:
        result.problems.append(f"{label}: kubernetes-validate failed:\n{done.stderr}")
    result.passed.update(seen)
    if set(seen) != {major_minor(v) for v in versions} or any(n != len(files) for n in seen.values()):
        result.problems.append(f"{label}: {len(files)} objects, but kubernetes-validate passed {dict(seen)}")
