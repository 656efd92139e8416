"""Move a ZENLIX 2 installation into Helpdesk on one machine: the four imports, in order.

Run with the workspace venv, with the services stopped or running (the imports use
their own connections and publish nothing but SLA states)::

    HELPDESK_DATABASE_URL=postgresql://... .venv/bin/python tools/import_zenlix.py \\
        --mysql-url mysql://reader:secret@zenlix-db:3306/zenlix \\
        --files-dir /var/www/zenlix/upload_files [--dry-run] [--time-zone Europe/Kyiv]

It migrates each service's schema, then runs ``python -m helpdesk_<svc> import-zenlix``
for identity, tickets, sla and notify in that order (people and units first, then the
tickets that name them, then their clocks, then preferences) and stops at the first
failure. A service with a database of its own takes it from
``HELPDESK_<SVC>_DATABASE_URL`` (e.g. ``HELPDESK_TICKETS_DATABASE_URL``).
On Kubernetes the same commands run as Jobs: docs/zenlix-import.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

ORDER = ("identity", "tickets", "sla", "notify")


def _env(service: str) -> dict[str, str]:
    env = dict(os.environ)
    keys = os.environ.get(f"HELPDESK_{service.upper()}_SECRET_KEYS")
    if keys:  # the service's key ring (identity and notify re-seal secrets when they migrate)
        env["HELPDESK_SECRET_KEYS"] = keys
    own = os.environ.get(f"HELPDESK_{service.upper()}_DATABASE_URL")
    if own:
        env["HELPDESK_DATABASE_URL"] = own
    if "HELPDESK_DATABASE_URL" not in env:
        sys.exit("Set HELPDESK_DATABASE_URL (or HELPDESK_<SVC>_DATABASE_URL for each service).")
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mysql-url", required=True)
    parser.add_argument("--files-dir", default=None, help="ZENLIX's upload_files directory")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--time-zone", default=None)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--no-migrate", action="store_true", help="the schemas are migrated already")
    parser.add_argument("--report-dir", default=None, help="write each service's report as JSON here")
    args = parser.parse_args(argv)
    common = ["--mysql-url", args.mysql_url, "--batch", str(args.batch)]
    if args.dry_run:
        common.append("--dry-run")
    if args.time_zone:
        common += ["--time-zone", args.time_zone]
    for service in ORDER:
        env = _env(service)
        if not args.no_migrate:
            subprocess.run([sys.executable, "-m", f"helpdesk_{service}", "migrate"], env=env, check=True)
        command = [sys.executable, "-m", f"helpdesk_{service}", "import-zenlix", *common]
        if service == "tickets" and args.files_dir:
            command += ["--files-dir", args.files_dir]
        if args.report_dir:
            command += ["--report-json", os.path.join(args.report_dir, f"{service}.json")]
        started = time.monotonic()
        done = subprocess.run(command, env=env, check=False)
        sys.stdout.write(f"[{service}: exit {done.returncode}, {time.monotonic() - started:.1f} s]\n\n")
        sys.stdout.flush()
        if done.returncode != 0:
            sys.stderr.write(f"The {service} import failed: the later ones were not run.\n")
            return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
