"""Which metrics a PromQL expression reads, and which sample names a metric family exports.

Used to hold the Grafana dashboard (``charts/helpdesk/dashboards/helpdesk.json``) and
the chart's alerts to what the services really export: a query naming a metric
that nothing exports shows an empty panel, or an alert that can never fire.

The expression reader is deliberately small: it drops strings, label matchers,
range selectors, grouping clauses and Grafana variables, and keeps the identifiers
that are neither functions nor keywords. That is enough for the queries we write;
an identifier it cannot place ends up as a "metric" and fails the check loudly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right"}
KEYWORDS |= {"bool", "offset", "inf", "nan", "atan2"}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+")
_IDENT = re.compile(r"(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?")
# Sample names a family of each type exports (prometheus_client's exposition).
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
    "stateset": ("",),
    "unknown": ("",),
}


def metric_names(expr: str) -> set[str]:
    """The metric (sample) names a PromQL expression selects."""
    text = _VARIABLE.sub(" ", _STRING.sub('""', expr))
    text = _GROUPING.sub(" ", _RANGE.sub(" ", _MATCHERS.sub(" ", text)))
    text = re.sub(r"\b\d+(\.\d+)?([eE][+-]?\d+)?\b", " ", text)
    names = set()
    for match in _IDENT.finditer(text):
        word, call = match.group(1), match.group(2)
        if call or word.lower() in KEYWORDS:
            continue
        names.add(word)
    return names


def exported_names(families: Iterable[tuple[str, str]]) -> set[str]:
    """Sample names of ``(family name, type)`` pairs, whether or not a sample exists yet."""
    return {f"{name}{suffix}" for name, kind in families for suffix in _SUFFIXES.get(kind, ("",))}


def scraped_families(text: str) -> Iterator[tuple[str, str]]:
    """``(family, type)`` of a /metrics page (labelled families without samples included)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        yield family.name, family.type


_LABEL_VALUES = re.compile(r"label_values\((?:\s*([^,()]+?)\s*,)?\s*\w+\s*\)")


def scraped_samples(text: str) -> Iterator[tuple[str, Any]]:
    """``(family, sample)`` of every sample on a /metrics page."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            yield family.name, sample


def dashboard_queries(path: Path) -> list[str]:
    """Every ``expr`` of every panel of a Grafana dashboard JSON file, and the series
    selector of every ``label_values(<series>, <label>)`` variable query."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("expr"), str):
                found.append(node["expr"])
            for key in ("query", "definition"):
                if isinstance(node.get(key), str):
                    found.extend(m.group(1) for m in _LABEL_VALUES.finditer(node[key]) if m.group(1))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(path.read_text()))
    return found
