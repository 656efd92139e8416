"""The options every ``import-zenlix`` command shares, and how its outcome is shown."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from helpdesk_zenlix.reader import Reader, ReaderError
from helpdesk_zenlix.report import ImportRefused, Report


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


async def run(
    service: str,
    argv: list[str],
    do_import: Callable[[Reader, argparse.Namespace], Awaitable[Report]],
    *,
    files: bool = False,
) -> int:
    """Parses the options, opens the ZENLIX database, imports, prints the report.

    Exit codes: 0 done, 1 the report does not balance (a bug: something was not
    accounted for), 2 refused or the database cannot be read (nothing written).
    """
    args = parse(service, argv, files=files)
    try:
        with Reader(args.mysql_url, time_zone=args.time_zone) as reader:
            report = await do_import(reader, args)
    except (ReaderError, ImportRefused) as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    return show(report, args.report_json)
