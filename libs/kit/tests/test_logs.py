"""The kit's log set-up: a debug line below the level costs nothing and writes nothing,
and the level still decides at run time."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import orjson
import pytest
import structlog

from helpdesk_kit.logs import configure_logging, get_logger


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def test_debug_lines_are_written_only_once_the_level_lets_them_through(
    restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(service="kit-test", level="INFO")
    log = get_logger("kit.test")
    log.debug("hidden.debug", n=1)
    log.info("shown.info", n=2)
    logging.getLogger().setLevel(logging.DEBUG)
    log.debug("shown.debug", n=3)
    lines = [orjson.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    assert [(e["event"], e["level"], e["n"], e["service"]) for e in lines] == [
        ("shown.info", "info", 2, "kit-test"),
        ("shown.debug", "debug", 3, "kit-test"),
    ]
