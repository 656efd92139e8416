"""The one-machine tool: the four imports as commands, in order, against a generated ZENLIX."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

from helpdesk_devstack.testing.zenlix import Source

TOOL = Path(__file__).parents[2] / "tools" / "import_zenlix.py"
KEY_RING = f"tool:{base64.b64encode(os.urandom(32)).decode()}"  # identity and notify re-seal secrets


def _run(database_url: str, source: Source, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HELPDESK_DATABASE_URL": database_url,
        "HELPDESK_SECRET_KEYS": KEY_RING,
        "HELPDESK_FILES_DIR": str(source.files_dir / "x"),
    }
    return subprocess.run(
        [sys.executable, str(TOOL), "--mysql-url", source.url, "--files-dir", str(source.files_dir), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_the_tool_imports_everything_once_and_a_second_run_nothing(
    database_url: str, zenlix: Source, tmp_path: Path
) -> None:
    dry = _run(database_url, zenlix, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run: nothing written" in dry.stdout
    first = _run(database_url, zenlix, "--report-dir", str(tmp_path))
    assert first.returncode == 0, first.stderr
    tickets = json.loads((tmp_path / "tickets.json").read_text())
    assert tickets["kinds"]["tickets"]["imported"] == zenlix.expected.tickets
    assert (
        json.loads((tmp_path / "identity.json").read_text())["kinds"]["users"]["imported"]
        == zenlix.expected.users
    )
    second = _run(database_url, zenlix, "--no-migrate", "--report-dir", str(tmp_path))
    assert second.returncode == 0, second.stderr
    for service in ("identity", "tickets", "sla", "notify"):
        kinds = json.loads((tmp_path / f"{service}.json").read_text())["kinds"]
        assert all(k["imported"] == 0 for k in kinds.values()), (service, kinds)


def test_an_unreachable_zenlix_stops_before_anything_is_written(database_url: str, zenlix: Source) -> None:
    broken = Source(
        url=zenlix.url.replace("zenlix-reader", "wrong"),
        name=zenlix.name,
        expected=zenlix.expected,
        files_dir=zenlix.files_dir,
        server=zenlix.server,
    )
    done = _run(database_url, broken)
    assert done.returncode == 2
    assert "cannot connect to the ZENLIX database" in done.stderr
    assert "[identity: exit 2" in done.stdout and "tickets:" not in done.stdout
