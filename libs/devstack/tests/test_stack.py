"""The devstack launcher, driven with the stand-in services of ``fake_service.py``."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest

from helpdesk_devstack.servers import free_port
from helpdesk_devstack.stack import Stack, StackError, load_config

HERE = Path(__file__).parent
FAKE_TOML = HERE / "fake_stack.toml"
REPO_ROOT = HERE.parents[2]
FAKE_ENV = {"PYTHONPATH": str(HERE)}


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def service_info(stack: Stack, name: str) -> dict[str, object]:
    status, body = get(stack.http_url(name) + "/env")
    assert status == 200
    info: dict[str, object] = json.loads(body)
    return info


def alive(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def descendants(besides: list[psutil.Process] | None = None) -> list[psutil.Process]:
    """Our live child processes (recursively), except those in ``besides``."""
    known = {p.pid for p in besides or []}
    return [p for p in psutil.Process().children(recursive=True) if alive(p) and p.pid not in known]


def assert_all_gone(procs: list[psutil.Process]) -> None:
    deadline = time.monotonic() + 5
    while any(alive(p) for p in procs) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [f"{p.pid} {p.cmdline()}" for p in procs if alive(p)]
    assert not left, f"processes left behind: {left}"


@pytest.fixture
def external(database_url: str, nats_url: str, redis_url: str) -> dict[str, str]:
    """Environment that makes a Stack use the session's servers instead of its own."""
    return {
        **FAKE_ENV,
        "HELPDESK_DATABASE_URL": database_url,
        "HELPDESK_NATS_URL": nats_url,
        "HELPDESK_REDIS_URL": redis_url,
    }


# ----------------------------------------------------------------------------- config


def test_repository_devstack_toml_lists_the_services_in_order() -> None:
    services = load_config(REPO_ROOT / "devstack.toml")
    assert [s.name for s in services] == [
        "identity",
        "tickets",
        "sla",
        "portal",
        "notify",
        "mailin",
        "realtime",
        "gateway",
    ]
    assert all(s.module == f"helpdesk_{s.name}" for s in services)
    assert [s.name for s in services if s.grpc] == [
        "identity",
        "tickets",
        "sla",
        "portal",
        "notify",
        "mailin",
    ]
    assert [s.name for s in services if s.public] == ["gateway"]
    assert services[0].setup == (("bootstrap-admin",),)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("", "at least one"),
        ('[[service]]\nname = "a"\n', "'module' is required"),
        ('[[service]]\nname = "a"\nmodule = "m"\ncolour = 1\n', "unknown keys"),
        ('[[service]]\nname = "A-b"\nmodule = "m"\n', "name must match"),
        ('[[service]]\nname = "a"\nmodule = "m"\ngrpc = "yes"\n', "'grpc' must be a bool"),
        ('[[service]]\nname = "a"\nmodule = "m"\n' * 2, "duplicate service names: a"),
        (
            '[[service]]\nname = "a"\nmodule = "m"\npublic = true\n'
            '[[service]]\nname = "b"\nmodule = "m"\npublic = true\n',
            "more than one service has public",
        ),
        ("[[service]\n", "cannot read"),
    ],
)
def test_bad_config_is_rejected(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "stack.toml"
    path.write_text(toml)
    with pytest.raises(StackError, match=message):
        load_config(path)


# ----------------------------------------------------------------------------- Stack


async def test_stack_starts_everything_and_stops_without_leftovers(tmp_path: Path) -> None:
    record = tmp_path / "record.txt"
    var = tmp_path / "var"
    env = {**FAKE_ENV, "FAKE_RECORD": str(record)}
    for key in ("HELPDESK_DATABASE_URL", "HELPDESK_NATS_URL", "HELPDESK_REDIS_URL"):
        env[key] = ""  # start our own, whatever the calling shell says

    stack = Stack(FAKE_TOML, var, durable=False, env=env)
    before = descendants()
    with stack:
        children = descendants(before)
        names = {p.name() for p in children}
        assert {"postgres", "nats-server", "redis-server"} <= names

        # migrations in order, then setup commands, then the servers
        lines = record.read_text().splitlines()
        assert lines[:5] == [
            "alpha migrate",
            "beta migrate",
            "front migrate",
            "alpha hello",
            "front hello",
        ]
        assert sorted(lines[5:]) == ["alpha serve", "beta serve", "front serve"]
        assert stack.setup_output == "hi there from alpha\nhello from front\n"

        for name in ("alpha", "beta", "front"):
            assert get(stack.http_url(name) + "/readyz")[0] == 200
            assert (var / "log" / f"{name}.log").exists()
        assert "alpha migrated" in (var / "log" / "alpha.log").read_text()

        env_of_beta = service_info(stack, "beta")["env"]
        assert isinstance(env_of_beta, dict)
        # beta has a database role and a NATS user of its own; front neither
        assert env_of_beta["HELPDESK_DATABASE_URL"] == stack.own_url("beta", "HELPDESK_DATABASE_URL")
        assert env_of_beta["HELPDESK_DATABASE_URL"].startswith("postgresql://beta:")
        assert env_of_beta["HELPDESK_NATS_URL"] == stack.own_url("beta", "HELPDESK_NATS_URL")
        assert env_of_beta["HELPDESK_NATS_URL"].startswith("nats://beta:")
        assert env_of_beta["HELPDESK_REDIS_URL"] == stack.redis_url
        assert (Path(env_of_beta["HELPDESK_TLS_DIR"]) / "tls.crt").exists()
        assert env_of_beta["HELPDESK_SECRET_KEYS"]
        assert env_of_beta["HELPDESK_HTTP_PORT"] == stack.http_url("beta").rsplit(":", 1)[1]
        assert env_of_beta["HELPDESK_GRPC_PORT"] == stack.grpc_addr("beta").rsplit(":", 1)[1]
        assert env_of_beta["HELPDESK_ALPHA_ADDR"] == stack.grpc_addr("alpha")
        assert env_of_beta["HELPDESK_BETA_ADDR"] == stack.grpc_addr("beta")
        assert "HELPDESK_FRONT_ADDR" not in env_of_beta
        assert env_of_beta["HELPDESK_FRONT_URL"] == stack.http_url("front")
        assert env_of_beta["HELPDESK_PUBLIC_URL"] == stack.gateway_url == stack.http_url("front")
        env_of_front = service_info(stack, "front")["env"]
        assert isinstance(env_of_front, dict)
        assert "HELPDESK_GRPC_PORT" not in env_of_front
        assert "HELPDESK_DATABASE_URL" not in env_of_front and "HELPDESK_NATS_URL" not in env_of_front
        with pytest.raises(StackError):
            stack.grpc_addr("front")

        # stop one service and start it again: same port, new process
        old_pid = stack.pid("alpha")
        stack.stop_service("alpha")
        assert stack.pid("alpha") is None
        assert old_pid is not None and not psutil.pid_exists(old_pid)
        stack.start_service("alpha")
        assert stack.pid("alpha") not in (None, old_pid)
        assert service_info(stack, "alpha")["pid"] == stack.pid("alpha")

        stack.stop_service("beta", kill=True)
        assert stack.pid("beta") is None
        stack.start_service("beta")
        assert get(stack.http_url("beta") + "/readyz")[0] == 200

        conn = await asyncpg.connect(stack.database_url)
        try:
            await conn.execute("CREATE TABLE survives (v int); INSERT INTO survives VALUES (7)")
        finally:
            await conn.close()
        children = descendants(before)
    assert_all_gone(children)

    # a second run on the same var dir reuses the data
    with Stack(FAKE_TOML, var, durable=False, env=env) as again:
        conn = await asyncpg.connect(again.database_url)
        try:
            assert await conn.fetchval("SELECT v FROM survives") == 7
        finally:
            await conn.close()
        children = descendants(before)
    assert_all_gone(children)
    again.stop()  # idempotent


def test_stack_uses_given_urls_instead_of_starting_servers(tmp_path: Path, external: dict[str, str]) -> None:
    public_port = free_port()
    before = descendants()  # includes the session's servers
    with Stack(FAKE_TOML, tmp_path / "var", env=external, public_port=public_port) as stack:
        names = {p.name() for p in descendants(before)}
        assert names == {"python"}, names
        assert stack.database_url == external["HELPDESK_DATABASE_URL"]
        assert stack.gateway_url == f"http://127.0.0.1:{public_port}"
        env = service_info(stack, "beta")["env"]
        assert isinstance(env, dict)
        assert env["HELPDESK_DATABASE_URL"] == external["HELPDESK_DATABASE_URL"]
        assert env["HELPDESK_NATS_URL"] == external["HELPDESK_NATS_URL"]
        assert env["HELPDESK_REDIS_URL"] == external["HELPDESK_REDIS_URL"]
        children = descendants(before)
    assert_all_gone(children)


def test_failed_migration_stops_everything(tmp_path: Path) -> None:
    env = {**FAKE_ENV, "FAKE_FAIL_MIGRATE": "beta"}
    for key in ("HELPDESK_DATABASE_URL", "HELPDESK_NATS_URL", "HELPDESK_REDIS_URL"):
        env[key] = ""
    stack = Stack(FAKE_TOML, tmp_path / "var", durable=False, env=env)
    before = descendants()
    with pytest.raises(StackError, match=r"(?s)beta: .* migrate failed with exit code 3.*boom"):
        stack.start()
    assert descendants(before) == []


def test_service_that_never_gets_ready_is_reported(tmp_path: Path, external: dict[str, str]) -> None:
    env = {**external, "FAKE_NEVER_READY": "beta"}
    stack = Stack(FAKE_TOML, tmp_path / "var", env=env, ready_timeout=2)
    before = descendants()
    with pytest.raises(StackError, match=r"(?s)not ready after 2 s: beta\n.*beta serving"):
        stack.start()
    assert descendants(before) == []


def test_service_ignoring_sigterm_is_killed(tmp_path: Path, external: dict[str, str]) -> None:
    env = {**external, "FAKE_IGNORE_SIGTERM": "alpha"}
    stack = Stack(FAKE_TOML, tmp_path / "var", env=env, stop_timeout=1)
    before = descendants()
    stack.start()
    children = descendants(before)
    assert len(children) == 3
    started = time.monotonic()
    stack.stop()
    assert time.monotonic() - started < 8
    assert_all_gone(children)


# ----------------------------------------------------------------------------- CLI


def _reader(stream: object, lines: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        lines.put(line)


@pytest.fixture
def cli(tmp_path: Path, external: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "helpdesk_devstack", "run"),
            *("--config", str(FAKE_TOML), "--var-dir", str(tmp_path / "var")),
        ],
        env={**os.environ, **external, "HELPDESK_GATEWAY_PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_runs_until_signalled(cli: tuple[subprocess.Popen[str], int], sig: int) -> None:
    proc, port = cli
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
    output = ""
    deadline = time.monotonic() + 60
    while f"Open http://127.0.0.1:{port}" not in output:
        assert proc.poll() is None, output
        assert time.monotonic() < deadline, output
        try:
            output += lines.get(timeout=0.5)
        except queue.Empty:
            continue
    assert "hi there from alpha\n" in output  # setup output goes to the terminal
    assert get(f"http://127.0.0.1:{port}/readyz")[0] == 200
    children = [p for p in psutil.Process(proc.pid).children(recursive=True) if alive(p)]
    assert len(children) == 3

    proc.send_signal(sig)
    assert proc.wait(timeout=30) == 0
    assert_all_gone(children)


def test_verbose_output_goes_to_log_and_terminal(
    tmp_path: Path, external: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    with Stack(FAKE_TOML, tmp_path / "var", env=external, verbose=True) as stack:
        log = stack.log_path("alpha")
    assert "alpha serving" in log.read_text()
    assert "alpha stopped" in log.read_text()
    out = capsys.readouterr().out
    assert "     alpha | alpha serving" in out
    assert "     front | front stopped" in out
