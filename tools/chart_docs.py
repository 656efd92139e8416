"""The chart's README documents every value: a rule of ``tools/chart_check.py``.

Every key of ``values.yaml`` must appear in ``charts/helpdesk/README.md`` as a
backticked dotted path (`` `attachments.s3.bucket` ``). The six services' blocks have
the same keys, so they are written once with ``<service>`` (`` `<service>.replicaCount` ``);
a ``resources`` block is documented as a whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no stubs in the dev group

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "charts" / "helpdesk"
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").exists())
# Keys whose value is a Kubernetes structure documented as one value.
OPAQUE = {"resources"}


def value_paths(values: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted paths of every leaf (a scalar, a list, an empty map, or an opaque block)."""
    for key, value in values.items():
        name = "<service>" if not prefix and key in SERVICES else key
        path = f"{prefix}{name}"
        if isinstance(value, dict) and value and key not in OPAQUE:
            yield from value_paths(value, f"{path}.")
        else:
            yield path


def undocumented_values(chart: Path = CHART) -> list[str]:
    """The value paths the chart's README does not mention."""
    values = yaml.safe_load((chart / "values.yaml").read_text())
    readme = chart / "README.md"
    text = readme.read_text() if readme.exists() else ""
    return sorted({p for p in value_paths(values) if f"`{p}`" not in text})
