"""Check the Helm chart: lint, render, validate against Kubernetes, enforce our rules.

Run with the workspace venv (``make chart-check``)::

    .venv/bin/python tools/chart_check.py [--kube-version 1.33.0 ...]

For every value set in ``charts/helpdesk/ci/*.yaml``: ``helm lint --strict``,
``helm template``, ``kubernetes-validate --strict`` of every rendered object
(objects of CRDs it has no schema for, ServiceMonitor and PrometheusRule, are
checked structurally by ``chart_crds.py`` and reported as such), and the chart's
own rules (locked-down pods, probes and health on the ops port, no Ingress route
to it, hook order, references between objects, NetworkPolicies that select every
pod and admit no one by accident: ``chart_netpol.py``). Every value set in
``charts/helpdesk/ci-invalid/*.yaml`` must be rejected by the values schema, for
the reason named on its ``# expect: <text>`` line; every key of ``values.yaml``
must be documented in the chart's README (``chart_docs.py``); the chart's
``files/trust.json`` must be what ``chart_trust.py`` makes of proto/ and
devstack.toml. Exits non-zero on any failure.

helm is taken from PATH, else from ``.tools/helm/helm``, else fetched once
(``chart_helm.py``); ``chart_validate.py`` runs kubernetes-validate.

Kept as one module: it is the list of the chart's rules, one short check each, read
top to bottom; the larger pieces (helm, validation, NetworkPolicies, custom resources,
README coverage) are already modules of their own.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no stubs in the dev group

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its sibling modules, however it is loaded
from chart_crds import CRD_CHECKS  # noqa: F401  (the CRD checks, for the tests that load this tool)
from chart_docs import undocumented_values
from chart_helm import HelmUnavailable, obtain_helm
from chart_netpol import network_policy_problems
from chart_trust import stale as trust_file_stale
from chart_validate import major_minor, newest_kube_version, validate

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "charts" / "helpdesk"
VALID_SETS = CHART / "ci"
INVALID_SETS = CHART / "ci-invalid"
RELEASE = "helpdesk"
NAMESPACE = "helpdesk"
# The oldest Kubernetes the chart is validated against; the newest one that the
# installed kubernetes-validate knows is added to it.
MIN_KUBE_VERSION = "1.33.0"
SCHEMA_ERROR = "values don't meet the specifications of the schema"
POD_KINDS = {"Deployment", "StatefulSet", "Job", "Pod"}
# The service containers' ports: the API, gRPC, and health and metrics (never public).
SERVICE_PORTS = {"http": 8000, "grpc": 50051, "ops": 9000}

# A Kubernetes object as parsed from YAML.
Obj = dict[str, Any]


def helm_template(
    helm: Path,
    values: Path | None,
    *,
    kube_version: str = MIN_KUBE_VERSION,
    overrides: Iterable[Path] = (),
) -> subprocess.CompletedProcess[str]:
    command = [str(helm), "template", RELEASE, str(CHART), "--namespace", NAMESPACE]
    command += ["--kube-version", kube_version]
    for path in [values, *overrides]:
        if path is not None:
            command += ["--values", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def render(
    helm: Path, values: Path | None, *, kube_version: str = MIN_KUBE_VERSION, overrides: Iterable[Path] = ()
) -> list[Obj]:
    """The objects `helm template` renders for a value set (and later files layered on it);
    raises when it fails."""
    done = helm_template(helm, values, kube_version=kube_version, overrides=overrides)
    if done.returncode != 0:
        raise RuntimeError(f"helm template with {_name(values)} failed:\n{done.stderr}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def helm_lint(helm: Path, values: Path | None) -> str | None:
    """None when `helm lint --strict` passes, else its output."""
    command = [str(helm), "lint", "--strict", str(CHART)]
    if values is not None:
        command += ["--values", str(values)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    return None if done.returncode == 0 else done.stdout + done.stderr


def _name(values: Path | None) -> str:
    return values.name if values is not None else "the defaults"


# ------------------------------------------------------------ invalid sets


def expected_error(values: Path) -> str:
    """The text an invalid value set's `# expect: <text>` line promises in the error."""
    for line in values.read_text().splitlines():
        match = re.match(r"#\s*expect:\s*(.+)", line.strip())
        if match:
            return match.group(1).strip()
    raise ValueError(f"{values} has no '# expect: <text>' line")


def rejection_problem(helm: Path, values: Path) -> str | None:
    """None when the schema rejects the value set for the expected reason."""
    done = helm_template(helm, values)
    if done.returncode == 0:
        return f"{values.name}: accepted, but the schema should reject it"
    if SCHEMA_ERROR not in done.stderr:
        return f"{values.name}: rejected, but not by the values schema:\n{done.stderr}"
    expected = expected_error(values)
    if expected not in done.stderr:
        return f"{values.name}: rejected without mentioning {expected!r}:\n{done.stderr}"
    return None


# ------------------------------------------------------------ our own rules


def _pod_spec(doc: Obj) -> Obj:
    spec: Obj = doc["spec"] if doc["kind"] == "Pod" else doc["spec"]["template"]["spec"]
    return spec


def _containers(pod: Obj) -> Iterator[Obj]:
    yield from pod.get("initContainers", [])
    yield from pod.get("containers", [])


def _where(doc: Obj, container: Obj | None = None) -> str:
    name = f"{doc['kind']}/{doc['metadata']['name']}"
    return f"{name} container {container['name']}" if container else name


def security_problems(doc: Obj) -> list[str]:
    """Pods run as non-root, with seccomp, read-only root, no privilege, no capability."""
    pod = _pod_spec(doc)
    context = pod.get("securityContext", {})
    problems = []
    if context.get("runAsNonRoot") is not True:
        problems.append(f"{_where(doc)}: pod securityContext.runAsNonRoot is not true")
    if context.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{_where(doc)}: pod seccompProfile is not RuntimeDefault")
    for container in _containers(pod):
        sc = container.get("securityContext", {})
        where = _where(doc, container)
        if sc.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: readOnlyRootFilesystem is not true")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation is not false")
        if "ALL" not in sc.get("capabilities", {}).get("drop", []):
            problems.append(f"{where}: capabilities do not drop ALL")
        if not container.get("resources", {}).get("requests"):
            problems.append(f"{where}: no resource requests")
    return problems


def service_problems(doc: Obj) -> list[str]:
    """A service Deployment: ports http 8000, ops 9000 (grpc 50051), /healthz and /readyz
    probes on ops, /tmp an emptyDir, every mount a volume of the pod."""
    pod = _pod_spec(doc)
    (container,) = pod["containers"]
    where = _where(doc, container)
    problems = []
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    for name, number in SERVICE_PORTS.items():
        if (name != "grpc" or name in ports) and ports.get(name) != number:
            problems.append(f"{where}: no port {number} named {name}")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = container.get(probe, {}).get("httpGet", {})
        if get.get("path") != path or get.get("port") != "ops":
            problems.append(f"{where}: {probe} is not HTTP GET {path} on port ops")
    volumes = {v["name"] for v in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        if mount["name"] not in volumes:
            problems.append(f"{where}: mounts {mount['name']}, which is no volume of the pod")
    empty_dirs = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
    mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
    if mounts.get("/tmp") not in empty_dirs:
        problems.append(f"{where}: /tmp is not an emptyDir")
    return problems


def _hooks(doc: Obj) -> tuple[set[str], int]:
    annotations = doc["metadata"].get("annotations") or {}
    hooks = {h.strip() for h in annotations.get("helm.sh/hook", "").split(",") if h.strip()}
    return hooks, int(annotations.get("helm.sh/hook-weight", "0"))


def _references(pod: Obj) -> Iterator[tuple[str, str]]:
    """(kind, name) of every Secret and ConfigMap the pod's containers read."""
    for container in _containers(pod):
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                yield "ConfigMap", source["configMapRef"]["name"]
            if "secretRef" in source:
                yield "Secret", source["secretRef"]["name"]
        for env in container.get("env", []):
            ref = env.get("valueFrom", {})
            if "secretKeyRef" in ref:
                yield "Secret", ref["secretKeyRef"]["name"]
            if "configMapKeyRef" in ref:
                yield "ConfigMap", ref["configMapKeyRef"]["name"]


def hook_order_problems(job: Obj, rendered: dict[tuple[str, str], Obj]) -> list[str]:
    """A pre-install hook Job may only read objects created before it: hooks of the
    same phase with a lower weight (ordinary objects do not exist yet)."""
    job_hooks, job_weight = _hooks(job)
    problems = []
    for kind, name in set(_references(_pod_spec(job))):
        target = rendered.get((kind, name))
        if target is None:
            continue  # an existing Secret named in the values: not ours to order
        hooks, weight = _hooks(target)
        for phase in ("pre-install", "pre-upgrade"):
            if phase not in job_hooks:
                continue
            if phase not in hooks:
                problems.append(
                    f"{_where(job)} runs {phase} but reads {kind}/{name}, which is not a "
                    f"{phase} hook: it would be missing (install) or stale (upgrade)"
                )
            elif weight >= job_weight:
                problems.append(
                    f"{_where(job)} (weight {job_weight}) reads {kind}/{name} "
                    f"(weight {weight}): it must be created first"
                )
    return problems


def reference_problems(docs: list[Obj]) -> list[str]:
    """Objects point at objects that exist: HPA targets, Ingress backends, ConfigMaps."""
    rendered = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    problems = []
    for doc in docs:
        kind = doc["kind"]
        if kind == "HorizontalPodAutoscaler":
            target = doc["spec"]["scaleTargetRef"]
            if (target["kind"], target["name"]) not in rendered:
                problems.append(f"{_where(doc)} scales a {target['kind']} that is not rendered")
        if kind == "Ingress":
            problems += _ingress_problems(doc, rendered)
        if kind in POD_KINDS:
            for ref in _references(_pod_spec(doc)):
                # The chart's own ConfigMaps must exist; others are the operator's (extraEnvFrom).
                if ref[0] == "ConfigMap" and ref[1].startswith(f"{RELEASE}-") and ref not in rendered:
                    problems.append(f"{_where(doc)} reads {ref[0]}/{ref[1]}, not rendered")
            problems += _claim_problems(doc, rendered)
        if kind == "Job" and _hooks(doc)[0]:
            problems += hook_order_problems(doc, rendered)
    return problems


def _claim_problems(doc: Obj, rendered: dict[tuple[str, str], Obj]) -> list[str]:
    """The claim the chart makes itself (attachments) must be rendered when a pod mounts it;
    any other claim is the operator's (attachments.persistence.existingClaim)."""
    problems = []
    for volume in _pod_spec(doc).get("volumes", []):
        claim = volume.get("persistentVolumeClaim", {}).get("claimName")
        if claim == f"{RELEASE}-attachments" and ("PersistentVolumeClaim", claim) not in rendered:
            problems.append(f"{_where(doc)} mounts PersistentVolumeClaim/{claim}, not rendered")
    return problems


def _ingress_problems(doc: Obj, rendered: dict[tuple[str, str], Obj]) -> list[str]:
    """Every route goes to an existing Service port named http: never ops (health, metrics)."""
    problems = []
    for rule in doc["spec"].get("rules", []):
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            service = rendered.get(("Service", backend["name"]))
            ports = {p["name"] for p in service["spec"]["ports"]} if service else set()
            if backend["port"].get("name") not in ports:
                problems.append(f"{_where(doc)} {path['path']} → no such Service port")
            elif backend["port"]["name"] != "http":
                problems.append(f"{_where(doc)} {path['path']} → port {backend['port']['name']}, not http")
    return problems


def policy_problems(docs: list[Obj]) -> list[str]:
    """Every rule of ours that a rendered value set breaks."""
    problems = reference_problems(docs) + network_policy_problems(docs)
    for doc in docs:
        if doc["kind"] in POD_KINDS:
            problems += security_problems(doc)
        if doc["kind"] == "Deployment":
            problems += service_problems(doc)
    return problems


# --------------------------------------------------------------------- main


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    objects: Counter[str] = field(default_factory=Counter)
    validated: Counter[str] = field(default_factory=Counter)
    sets: int = 0
    rejected: int = 0


def check_valid_set(helm: Path, values: Path, versions: list[str], report: Report) -> None:
    lint = helm_lint(helm, values)
    if lint is not None:
        report.problems.append(f"{values.name}: helm lint --strict failed:\n{lint}")
    try:
        docs = render(helm, values)
    except RuntimeError as error:
        report.problems.append(str(error))
        return
    report.sets += 1
    report.objects.update(doc["kind"] for doc in docs)
    report.problems += [f"{values.name}: {p}" for p in policy_problems(docs)]
    result = validate(docs, versions, values.name)
    report.problems += result.problems
    report.notices += result.notices
    report.validated.update(result.passed)
    say(
        f"  {values.name}: {len(docs)} objects, "
        + ", ".join(f"{n} valid against {v}" for v, n in sorted(result.passed.items()))
    )


def run(versions: list[str]) -> Report:
    helm = obtain_helm()
    version = subprocess.run([str(helm), "version", "--short"], capture_output=True, text=True)
    say(f"helm {version.stdout.strip()} ({helm})")
    say(f"kubernetes-validate --strict against Kubernetes {', '.join(versions)}")
    report = Report()
    valid_sets = sorted(VALID_SETS.glob("*.yaml"))
    invalid_sets = sorted(INVALID_SETS.glob("*.yaml"))
    if not valid_sets or not invalid_sets:
        report.problems.append(f"no value sets in {VALID_SETS} or {INVALID_SETS}")
    for values in valid_sets:
        check_valid_set(helm, values, versions, report)
    for values in invalid_sets:
        problem = rejection_problem(helm, values)
        if problem:
            report.problems.append(problem)
        else:
            report.rejected += 1
            say(f"  {values.name}: rejected by the schema, as expected")
    report.problems += _invalid_set_count_problem(len(invalid_sets), report.rejected)
    report.problems += [f"charts/helpdesk/README.md does not document `{p}`" for p in undocumented_values()]
    if trust_file_stale():
        report.problems.append(
            "charts/helpdesk/files/trust.json is not what proto/ and devstack.toml say: "
            "run .venv/bin/python tools/chart_trust.py"
        )
    return report


def say(text: str = "") -> None:
    """The tool's output (a report on stdout, not a log)."""
    sys.stdout.write(text + "\n")


def _invalid_set_count_problem(total: int, rejected: int) -> list[str]:
    return [] if total == rejected else [f"{total - rejected} invalid value sets not rejected"]


def summarize(report: Report, versions: list[str]) -> None:
    for notice in sorted(set(report.notices)):
        say(f"NOTICE {notice}")
    for problem in report.problems:
        say(f"FAIL {problem}")
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(report.objects.items()))
    say(f"\n{report.sets} value sets rendered: {kinds}")
    for version in versions:
        count = report.validated[major_minor(version)]
        say(f"{count} manifests valid against Kubernetes {major_minor(version)} (strict)")
    say(f"{report.rejected} invalid value sets rejected by values.schema.json")
    say("chart check: " + ("FAILED" if report.problems else "passed"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--kube-version",
        action="append",
        help=f"Kubernetes version(s) to validate against (default: {MIN_KUBE_VERSION} "
        "and the newest kubernetes-validate supports)",
    )
    args = parser.parse_args(argv)
    versions = args.kube_version or list(dict.fromkeys([MIN_KUBE_VERSION, newest_kube_version()]))
    try:
        report = run(versions)
    except HelmUnavailable as error:
        say(f"FAIL {error}")
        return 2
    summarize(report, versions)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
