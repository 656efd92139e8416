"""The options every ``import-zenlix`` command shares, and how its outcome is shown."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from helpdesk_zenlix.report import Report


def parse(service: str, argv: list[str], *, files: bool = False) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"python -m helpdesk_{service} import-zenlix",
        description=f"Import {service}'s part of a ZENLIX 2 database (read only; safe to re-run).",
    )
    parser.add_argument(
        "--mysql-url", required=True, help="mysql://user:password@host:3306/database of ZENLIX (read only)"
    )
    parser.add_argument("--dry-run", action="store_true", help="report what would happen; write nothing")
    parser.add_argument(
        "--time-zone", default=None, help="the zone of ZENLIX's dates (default: its perf.time_zone setting)"
    )
    parser.add_argument("--batch", type=int, default=1000, help="tickets per transaction (default 1000)")
    parser.add_argument("--report-json", type=Path, default=None, help="also write the report as JSON here")
    if files:
        parser.add_argument(
            "--files-dir",
            type=Path,
            default=None,
            help="ZENLIX's upload_files directory (attachments); without it files are counted as missing",
        )
    return parser.parse_args(argv)


def show(report: Report, report_json: Path | None) -> int:
    sys.stdout.write(report.render() + "\n")
    if report_json is not None:
        report_json.write_text(report.as_json() + "\n", encoding="utf-8")
    return 0 if report.balanced() else 1
