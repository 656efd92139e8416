"""The dashboard and the alerts read only metrics the services export.

What each service exports is what its process registers when it starts: each
service's entry module (``helpdesk_<svc>.__main__``, which imports everything
``serve`` runs) is imported in a fresh interpreter and its Prometheus registry
listed, labelled families without samples included. The deploy test checks the
same against the /metrics pages of the running pods.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .test_chart import SERVICES, chart_check

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = chart_check.CHART / "dashboards" / "helpdesk.json"
promql = __import__("promql")  # tools/promql.py, on sys.path since chart_check is loaded

_LIST_REGISTRY = """
import importlib, json, sys
from prometheus_client import REGISTRY
importlib.import_module(sys.argv[1] + ".__main__")
print(json.dumps(sorted({(f.name, f.type) for f in REGISTRY.collect()})))
"""


@pytest.fixture(scope="module")
def exported() -> dict[str, set[str]]:
    """Sample names each service's process exports, by service."""
    # The imports run side by side: each is a second or more of CPU, and one at a time
    # they were the slowest setup of the contract tests.
    running = {
        service: subprocess.Popen(
            [sys.executable, "-c", _LIST_REGISTRY, f"helpdesk_{service}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for service in SERVICES
    }
    names = {}
    for service, process in running.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"helpdesk_{service}: {err}"
        names[service] = promql.exported_names(tuple(f) for f in json.loads(out))
    return names


def _unexported(queries: list[str], exported: dict[str, set[str]]) -> dict[str, list[str]]:
    everything = set().union(*exported.values())
    missing = {}
    for query in queries:
        unknown = sorted(promql.metric_names(query) - everything)
        if unknown:
            missing[query] = unknown
    return missing


def test_every_metric_a_dashboard_panel_queries_is_exported_by_a_service(
    exported: dict[str, set[str]],
) -> None:
    queries = promql.dashboard_queries(DASHBOARD)

    assert len(queries) > 20
    assert _unexported(queries, exported) == {}


def test_every_metric_an_alert_reads_is_exported_by_a_service(exported: dict[str, set[str]]) -> None:
    helm = chart_check.obtain_helm()
    docs = chart_check.render(helm, chart_check.VALID_SETS / "production-values.yaml")
    (rule,) = [d for d in docs if d["kind"] == "PrometheusRule"]
    queries = [r["expr"] for g in rule["spec"]["groups"] for r in g["rules"]]

    assert len(queries) == 7
    assert _unexported(queries, exported) == {}


def test_the_metrics_the_sla_panels_and_alerts_need_come_from_their_services(
    exported: dict[str, set[str]],
) -> None:
    assert {"sla_breaches_total", "sla_warnings_total", "sla_timers_overdue_seconds"} <= exported["sla"]
    assert "notify_deliveries_total" in exported["notify"]
    for service in ("tickets", "sla", "notify"):  # the ones with consumers
        assert {"consumer_pending", "consumer_lag_seconds", "consumer_dead_letters_total"} <= exported[
            service
        ]
    for service in ("identity", "tickets", "sla", "notify", "portal"):  # the ones with an outbox
        assert {"outbox_pending", "outbox_oldest_pending_seconds"} <= exported[service]


def test_a_query_naming_a_metric_nothing_exports_is_reported() -> None:
    query = (
        'sum(rate(sla_breaches_total{namespace=~"$namespace"}[5m])) / sum(nothing_exports_this_total) by (x)'
    )

    assert promql.metric_names(query) == {"sla_breaches_total", "nothing_exports_this_total"}
    assert _unexported([query], {"sla": {"sla_breaches_total"}}) == {query: ["nothing_exports_this_total"]}
