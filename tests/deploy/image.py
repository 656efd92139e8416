"""What a container of one of our images starts with, read from the repository's Dockerfile.

The deploy test runs no container runtime, so it has to know what the runtime would
add to a pod's container: the image's ``ENV``, ``WORKDIR``, ``ENTRYPOINT`` and
``CMD`` of the default target (the last stage), following its ``FROM`` chain, with
the ``ARG`` defaults and the ``SERVICE`` build argument substituted. Reading the
Dockerfile instead of copying its values here keeps the test honest when the image
changes.

The base image's own environment (``python:3.11-slim``: ``PATH``, ``LANG``) is not
in the Dockerfile; :data:`BASE_IMAGE_ENV` states the part of it that matters.
"""

from __future__ import annotations

import itertools
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

# What python:3.11-slim itself sets (docker inspect), below the Dockerfile's ENV.
BASE_IMAGE_ENV = {
    "PATH": "/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
}
_VAR = re.compile(r"\$\{(\w+)\}|\$(\w+)")


@dataclass
class ImageConfig:
    """The run-time configuration of one service image."""

    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    user: str = ""
    # Accounts the image creates (useradd in a RUN step): uid -> (name, gid, home).
    accounts: dict[int, tuple[str, int, str]] = field(default_factory=dict)


@dataclass
class _Stage:
    name: str
    parent: str
    lines: list[str]


def _logical_lines(text: str) -> list[str]:
    """Dockerfile instructions, continuation lines joined, comments dropped (heredocs kept raw)."""
    lines: list[str] = []
    current = ""
    heredoc: str | None = None
    for raw in text.splitlines():
        if heredoc is not None:
            if raw.strip() == heredoc:
                heredoc = None
            continue  # heredoc bodies are file contents, not instructions
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        match = re.search(r"<<'?(\w+)'?", stripped)
        if match and not current:
            heredoc = match.group(1)
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    return lines


def _substitute(text: str, variables: dict[str, str]) -> str:
    return _VAR.sub(lambda m: variables.get(m.group(1) or m.group(2), ""), text)


def _stages(lines: list[str]) -> tuple[dict[str, str], list[_Stage]]:
    global_args: dict[str, str] = {}
    stages: list[_Stage] = []
    for line in lines:
        keyword, _, rest = line.partition(" ")
        if keyword.upper() == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else f"stage{len(stages)}"
            stages.append(_Stage(name=name, parent=parts[0], lines=[]))
        elif stages:
            stages[-1].lines.append(line)
        elif keyword.upper() == "ARG":
            key, _, value = rest.partition("=")
            global_args[key.strip()] = value.strip()
    return global_args, stages


def _env_pairs(rest: str, variables: dict[str, str]) -> dict[str, str]:
    pairs = {}
    for token in shlex.split(rest):
        key, _, value = token.partition("=")
        pairs[key] = _substitute(value, variables)
    return pairs


def _exec_form(rest: str) -> list[str]:
    words = json.loads(rest)
    assert isinstance(words, list), rest
    return [str(w) for w in words]


def load_image(dockerfile: Path, *, service: str) -> ImageConfig:
    """The default target's run-time configuration, built with ``--build-arg SERVICE=<service>``."""
    global_args, stages = _stages(_logical_lines(dockerfile.read_text()))
    by_name = {s.name: s for s in stages}
    chain = [stages[-1]]
    while chain[-1].parent in by_name:
        chain.append(by_name[chain[-1].parent])
    config = ImageConfig(env=dict(BASE_IMAGE_ENV))
    build_args = {**global_args, "SERVICE": service}
    for stage in reversed(chain):
        variables: dict[str, str] = {}
        for line in stage.lines:
            keyword, _, rest = line.partition(" ")
            if keyword.upper() == "ARG":
                key, _, default = rest.partition("=")
                variables[key.strip()] = build_args.get(key.strip(), default.strip())
            else:
                _apply(config, keyword.upper(), rest, variables)
    return config


def _apply(config: ImageConfig, keyword: str, rest: str, variables: dict[str, str]) -> None:
    if keyword == "ENV":
        config.env.update(_env_pairs(rest, {**config.env, **variables}))
    elif keyword == "WORKDIR":
        config.workdir = _substitute(rest.strip(), variables)
    elif keyword == "USER":
        config.user = _substitute(rest.strip(), variables)
    elif keyword == "ENTRYPOINT":
        config.entrypoint, config.cmd = _exec_form(rest), []
    elif keyword == "CMD":
        config.cmd = _exec_form(rest)
    elif keyword == "RUN" and "useradd" in rest:
        config.accounts.update(_useradd(_substitute(rest, variables)))


def _useradd(command: str) -> dict[int, tuple[str, int, str]]:
    words = shlex.split(command[command.index("useradd") :].split("&&")[0])
    options = dict(itertools.pairwise(words))
    uid = int(options["--uid"])
    return {uid: (words[-1], int(options.get("--gid", uid)), options.get("--home-dir", "/"))}
