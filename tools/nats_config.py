"""NATS users for a NATS server you run yourself (the chart's ``nats.enabled=false``).

Each service connects as its own user, allowed exactly what its ``nats`` table in
``devstack.toml`` says (``helpdesk_devstack.natsauth``, the same rules the
quick-start NATS and ``make run`` use); anonymous connections are refused. This
tool makes a password per service and writes, into ``--out``:

- ``auth.conf``: the ``authorization`` block for nats-server (include it in the
  server's configuration, e.g. ``include ./auth.conf``, or paste it into the official
  chart's ``config.merge``), on every node of a cluster;
- ``<service>.url``: that service's ``HELPDESK_NATS_URL``, every server of
  ``--servers`` with the user and password in it.

Put each URL into the service's Secret under ``HELPDESK_NATS_URL``
(``externalNats.existingSecrets``; docs/operations.md shows the commands). Every
file is readable by its owner only::

    .venv/bin/python tools/nats_config.py --servers nats://nats-0.nats:4222,nats://nats-1.nats:4222 \\
        --out ./nats-credentials

Run it again to rotate every password (then reload NATS and restart the services).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit

from helpdesk_devstack.config import load_config
from helpdesk_devstack.natsauth import NatsAccess, new_password, server_authorization

ROOT = Path(__file__).resolve().parents[1]
DEVSTACK = ROOT / "devstack.toml"


def service_users(config: Path = DEVSTACK) -> dict[str, NatsAccess]:
    """Every service that connects to NATS, with what it may do there."""
    return {s.name: s.nats for s in load_config(config) if s.nats is not None}


def url_for(servers: str, user: str, password: str) -> str:
    """``servers`` (comma-separated ``nats://host:port``) with ``user:password@`` in each."""
    parts = []
    for server in (s.strip() for s in servers.split(",") if s.strip()):
        split = urlsplit(server)
        if split.scheme not in ("nats", "tls") or not split.hostname:
            raise ValueError(f"{server!r} is not a nats:// or tls:// URL")
        host = split.netloc.rsplit("@", 1)[-1]
        parts.append(f"{split.scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{host}")
    if not parts:
        raise ValueError("no server given")
    return ",".join(parts)


def credentials(servers: str, passwords: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
    """The ``authorization`` block and each service's URL; new passwords unless given."""
    users = service_users()
    chosen = {name: (passwords or {}).get(name) or new_password() for name in users}
    config = server_authorization({name: (chosen[name], access) for name, access in users.items()})
    return config, {name: url_for(servers, name, chosen[name]) for name in users}


def _write_private(path: Path, text: str) -> None:
    path.write_text(text)
    os.chmod(path, 0o600)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", required=True, help="the NATS servers, comma-separated nats:// URLs")
    parser.add_argument("--out", required=True, type=Path, help="folder for auth.conf and <service>.url")
    args = parser.parse_args(argv)
    try:
        config, urls = credentials(args.servers)
    except ValueError as error:
        parser.error(str(error))
    args.out.mkdir(parents=True, exist_ok=True)
    os.chmod(args.out, 0o700)
    _write_private(args.out / "auth.conf", config)
    for name, url in urls.items():
        # No newline: `kubectl create secret --from-file` would keep it in the value.
        _write_private(args.out / f"{name}.url", url)
    sys.stdout.write(f"wrote {args.out / 'auth.conf'}: include it in every NATS server's configuration\n")
    for name in urls:
        sys.stdout.write(f"wrote {args.out / (name + '.url')}: HELPDESK_NATS_URL of {name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
