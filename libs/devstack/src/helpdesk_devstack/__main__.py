"""``python -m helpdesk_devstack run``: the whole stack on this machine until Ctrl-C.

What ``make run`` calls. It starts :class:`~helpdesk_devstack.stack.Stack` from
``devstack.toml`` with durable data in ``var/``, prints where each service
listens, and supervises: a service or server that exits on its own is reported
(with the last lines of its log) and started again with backoff
(:mod:`helpdesk_devstack.supervision`). Ctrl-C or SIGTERM stops everything in order.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import Any

from helpdesk_devstack.config import GATEWAY_PORT_ENV, StackError
from helpdesk_devstack.proctable import become_subreaper, reap_adopted
from helpdesk_devstack.servers import ServerError, port_is_free
from helpdesk_devstack.stack import Stack

__all__ = ["cli_public_port", "main", "run"]

logger = logging.getLogger("helpdesk_devstack")

DEFAULT_PUBLIC_PORT = 8080


def cli_public_port(env: Mapping[str, str]) -> int | None:
    """The public port for ``run``: $HELPDESK_GATEWAY_PORT, else 8080 if free, else any."""
    given = env.get(GATEWAY_PORT_ENV, "")
    if given:
        try:
            return int(given)
        except ValueError:
            raise StackError(f"{GATEWAY_PORT_ENV}={given!r} is not a port number") from None
    if port_is_free(DEFAULT_PUBLIC_PORT):
        return DEFAULT_PUBLIC_PORT
    logger.warning("port %d is taken; the public service gets a free port", DEFAULT_PUBLIC_PORT)
    return None


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _summary(stack: Stack) -> str:
    lines = ["", "Services:"]
    for spec in stack.specs:
        grpc = f"  gRPC {stack.grpc_addr(spec.name)}" if spec.grpc else ""
        lines.append(f"  {spec.name:<10} {stack.http_url(spec.name)}{grpc}")
    lines.append(f"Logs: {stack.log_dir}/<service>.log")
    if any(spec.public for spec in stack.specs):
        lines.append(f"\nOpen {stack.gateway_url}  (Ctrl-C stops everything)\n")
    return "\n".join(lines) + "\n"


def _wait_for_interrupt() -> None:
    """Block until Ctrl-C or SIGTERM; supervision runs in its own thread meanwhile."""
    while True:
        time.sleep(3600)


def run(config: Path, var_dir: Path, *, verbose: bool = False) -> int:
    """``run``: start the stack, wait for Ctrl-C or SIGTERM, stop it. Returns the exit code."""
    previous_term: Any = signal.signal(signal.SIGTERM, _raise_interrupt)
    # Explicitly: a shell starting us in the background leaves SIGINT ignored.
    previous_int: Any = signal.signal(signal.SIGINT, _raise_interrupt)
    try:
        return _run(config, var_dir, verbose=verbose)
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)


def _run(config: Path, var_dir: Path, *, verbose: bool) -> int:
    try:
        stack = Stack(
            config,
            var_dir,
            durable=True,
            public_port=cli_public_port(os.environ),
            verbose=verbose,
            echo_setup=True,
            supervise=True,
            reap_orphans=become_subreaper(),
        )
        stack.start()  # stops what it started if it fails or is interrupted
    except KeyboardInterrupt:
        return 0
    except (StackError, ServerError) as exc:
        logger.error("%s", exc)
        return 1
    try:
        sys.stdout.write(_summary(stack))
        sys.stdout.flush()
        _wait_for_interrupt()
    except KeyboardInterrupt:
        logger.info("stopping")
    finally:
        # A second Ctrl-C must not interrupt the orderly shutdown (it has timeouts).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        reap_adopted()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpdesk_devstack",
        description="Run every service and its dependencies on this machine.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="start everything; Ctrl-C stops it")
    run_parser.add_argument("--config", type=Path, default=Path("devstack.toml"))
    run_parser.add_argument("--var-dir", type=Path, default=Path("var"))
    run_parser.add_argument("--verbose", "-v", action="store_true", help="also show service output here")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return run(args.config, args.var_dir, verbose=args.verbose)


if __name__ == "__main__":
    sys.exit(main())
