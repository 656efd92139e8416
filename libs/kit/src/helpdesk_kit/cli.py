"""The command line of a service process: ``python -m helpdesk_<svc> <command> [options]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import uvloop

__all__ = ["Command", "CommandWithArgs", "run_cli"]

Command = Callable[[], Coroutine[Any, Any, int | None]]
# A command with options of its own gets the words after its name (it parses them itself).
CommandWithArgs = Callable[[list[str]], Coroutine[Any, Any, int | None]]


def run_cli(
    *,
    service: str,
    commands: dict[str, Command],
    argv: list[str] | None = None,
    with_args: dict[str, CommandWithArgs] | None = None,
) -> None:
    more = with_args or {}
    parser = argparse.ArgumentParser(prog=f"helpdesk_{service}")
    parser.add_argument("command", nargs="?", default="serve", choices=sorted([*commands, *more]))
    parser.add_argument("args", nargs=argparse.REMAINDER, help="options of the command (see its --help)")
    args = parser.parse_args(argv)
    if args.command in more:
        code = uvloop.run(more[args.command](list(args.args)))
    else:
        if args.args:
            parser.error(f"{args.command} takes no options")
        code = uvloop.run(commands[args.command]())
    sys.exit(code or 0)
