"""The command line of a service process: ``python -m helpdesk_<svc> <command>``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import uvloop

__all__ = ["Command", "run_cli"]

Command = Callable[[], Coroutine[Any, Any, int | None]]


def run_cli(*, service: str, commands: dict[str, Command], argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"helpdesk_{service}")
    parser.add_argument("command", nargs="?", default="serve", choices=sorted(commands))
    args = parser.parse_args(argv)
    code = uvloop.run(commands[args.command]())
    sys.exit(code or 0)
