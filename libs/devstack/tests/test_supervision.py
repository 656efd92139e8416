"""Supervision: what exits on its own is reaped and started again; what is stopped on purpose is not."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import asyncpg
import nats
import psutil
import redis.asyncio as aioredis

from helpdesk_devstack.servers import free_port
from helpdesk_devstack.stack import RestartPolicy, Stack
from helpdesk_devstack.supervision import Child, Supervisor

HERE = Path(__file__).parent
FAKE_TOML = HERE / "fake_stack.toml"
FAKE_ENV = {"PYTHONPATH": str(HERE)}
QUICK = RestartPolicy(initial=0.2, cap=1.0, stable_after=5.0)
OWN_SERVERS = {"HELPDESK_DATABASE_URL": "", "HELPDESK_NATS_URL": "", "HELPDESK_REDIS_URL": ""}


def get_json(url: str) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body: dict[str, object] = json.loads(response.read())
            return body
    except (urllib.error.URLError, OSError):
        return None


def wait_for(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what}"
        time.sleep(0.1)


def zombie_or_gone(pid: int) -> str:
    try:
        return "zombie" if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE else "running"
    except psutil.NoSuchProcess:
        return "gone"


def live_descendants(root: psutil.Process) -> list[psutil.Process]:
    alive = []
    for proc in root.children(recursive=True):
        try:
            if proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(proc)
        except psutil.NoSuchProcess:
            continue
    return alive


# ----------------------------------------------------------------------------- backoff


class FakeChild:
    """A supervised process reduced to what the supervisor looks at."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.code: int | None = None
        self.started = time.monotonic()
        self.restarts: list[float] = []
        self.fail_next_restarts = 0

    def restart(self) -> None:
        if self.fail_next_restarts:
            self.fail_next_restarts -= 1
            raise OSError("port still taken")
        self.code = None
        self.started = time.monotonic()
        self.restarts.append(self.started)

    def child(self, log: Path) -> Child:
        return Child(self.name, lambda: self.code, self.restart, lambda: self.started, log)


def test_restart_pauses_double_up_to_the_cap_and_start_afresh_after_a_stable_run() -> None:
    policy = RestartPolicy(initial=1.0, cap=30.0, stable_after=60.0)
    assert [policy.pause(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]

    quick = RestartPolicy(initial=0.1, cap=0.4, stable_after=1.0)
    supervisor = Supervisor(quick, interval=0.01)
    fake = FakeChild("svc")
    supervisor.watch(fake.child(Path(os.devnull)))
    gaps = []
    for _ in range(4):  # exits right after each start: 0.1, 0.2, 0.4, 0.4 (capped)
        fake.code = -9
        exited = time.monotonic()
        while fake.code is not None:
            supervisor.check()
            time.sleep(0.005)
        gaps.append(fake.restarts[-1] - exited)
    assert [round(g, 1) for g in gaps] == [0.1, 0.2, 0.4, 0.4], gaps
    assert [r.attempt for r in supervisor.restarts] == [1, 2, 3, 4]

    fake.started = time.monotonic() - 2.0  # ran longer than stable_after: the doubling restarts
    fake.code = 1
    exited = time.monotonic()
    while fake.code is not None:
        supervisor.check()
        time.sleep(0.005)
    assert round(fake.restarts[-1] - exited, 1) == 0.1
    assert supervisor.restarts[-1].attempt == 1 and supervisor.restarts[-1].exit_code == 1


def test_a_restart_that_fails_is_tried_again_later() -> None:
    supervisor = Supervisor(RestartPolicy(initial=0.05, cap=0.2, stable_after=10.0), interval=0.01)
    fake = FakeChild("server")
    fake.fail_next_restarts = 2
    supervisor.watch(fake.child(Path(os.devnull)))
    fake.code = -9
    deadline = time.monotonic() + 5
    while fake.code is not None and time.monotonic() < deadline:
        supervisor.check()
        time.sleep(0.005)
    assert fake.code is None and len(fake.restarts) == 1
    assert supervisor.restarts[0].attempt == 3  # the exit and two failed starts in a row


# ----------------------------------------------------------------------------- services


def test_a_service_killed_with_sigkill_is_reaped_and_started_again(
    tmp_path: Path, database_url: str, nats_url: str, redis_url: str
) -> None:
    env = {**FAKE_ENV, "HELPDESK_DATABASE_URL": database_url, "HELPDESK_NATS_URL": nats_url}
    env["HELPDESK_REDIS_URL"] = redis_url
    with Stack(FAKE_TOML, tmp_path / "var", env=env, supervise=True, restart_policy=QUICK) as stack:
        old = stack.pid("alpha")
        assert old is not None
        os.kill(old, signal.SIGKILL)

        def answers_again() -> bool:
            info = get_json(stack.http_url("alpha") + "/env")
            return info is not None and info["pid"] not in (None, old)

        wait_for("alpha answers from a new process", answers_again)
        assert zombie_or_gone(old) == "gone"  # reaped, not left a zombie of ours
        [restart] = stack.restarts
        assert (restart.name, restart.exit_code, restart.attempt) == ("alpha", -signal.SIGKILL, 1)
        assert restart.restarted_at - restart.exited_at < 5
        log = stack.log_path("alpha").read_text()
        assert "exited with code -9; the launcher starts it again" in log
        assert log.count("fake_service serve") == 2

        # Stopped on purpose, it stays stopped: supervision waits for start_service.
        stack.stop_service("beta")
        time.sleep(QUICK.cap * 2)
        assert stack.pid("beta") is None
        stack.start_service("beta")
        beta = stack.pid("beta")
        assert beta is not None
        os.kill(beta, signal.SIGKILL)  # and once started again, it is supervised again
        wait_for("beta restarted", lambda: stack.pid("beta") not in (None, beta))
        assert [r.name for r in stack.restarts] == ["alpha", "beta"]


# ----------------------------------------------------------------------------- servers


async def test_killed_servers_are_restarted_and_the_services_reach_them_again(tmp_path: Path) -> None:
    env = {**FAKE_ENV, **OWN_SERVERS}
    # Durable: without synchronous commits a killed postmaster takes the last commits with it.
    stack = Stack(FAKE_TOML, tmp_path / "var", env=env, supervise=True, restart_policy=QUICK)
    with stack:
        beta_db = stack.own_url("beta", "HELPDESK_DATABASE_URL")
        beta_nats = stack.own_url("beta", "HELPDESK_NATS_URL")
        conn = await asyncpg.connect(beta_db)
        await conn.execute("CREATE TABLE kept (v int); INSERT INTO kept VALUES (1)")
        await conn.close()
        nc = await nats.connect(beta_nats)
        await nc.jetstream().add_stream(name="BETA", subjects=["beta.>"])
        await nc.jetstream().publish("beta.Happened", b"before")
        await nc.close()

        for number, kind in enumerate(("postgres", "nats", "redis"), start=1):
            server = stack.server(kind)
            old = server.pid
            assert old is not None
            os.kill(old, signal.SIGKILL)
            wait_for(f"{kind} restarted", lambda n=number: len(stack.restarts) == n)  # type: ignore[misc]
            assert stack.restarts[-1].name == kind
            assert server.pid not in (None, old)
            assert zombie_or_gone(old) == "gone"
            deps = get_json(stack.http_url("beta") + "/deps")
            assert deps == {"database": True, "nats": True, "redis": True}, deps

        assert (server_pid_file(stack)) == stack.server("postgres").pid
        conn = await asyncpg.connect(beta_db)  # the service's own role and password, same data
        try:
            assert await conn.fetchval("SELECT v FROM kept") == 1
        finally:
            await conn.close()
        nc = await nats.connect(beta_nats)
        try:
            await nc.jetstream().publish("beta.Happened", b"after")
            assert (await nc.jetstream().stream_info("BETA")).state.messages == 2
        finally:
            await nc.close()
        client = aioredis.from_url(stack.redis_url)
        try:
            assert await client.ping()
        finally:
            await client.aclose()


def server_pid_file(stack: Stack) -> int:
    pgdata = stack.server("postgres").pgdata  # type: ignore[attr-defined]
    return int((Path(pgdata) / "postmaster.pid").read_text().split("\n", 1)[0])


# ----------------------------------------------------------------------------- Ctrl-C


def test_ctrl_c_stops_everything_even_after_restarts_and_leaves_nothing(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "helpdesk_devstack", "run"),
            *("--config", str(FAKE_TOML), "--var-dir", str(tmp_path / "var")),
        ],
        env={**os.environ, **FAKE_ENV, **OWN_SERVERS, "HELPDESK_GATEWAY_PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in iter(proc.stdout.readline, ""):
            lines.put(line)

    def seen(text: str, times: int = 1) -> bool:
        while not lines.empty():
            output.append(lines.get())
        return "".join(output).count(text) >= times

    threading.Thread(target=read, daemon=True).start()
    try:
        wait_for("the launcher ready", lambda: seen(f"Open http://127.0.0.1:{port}"), timeout=120)
        launcher = psutil.Process(proc.pid)
        postmaster = next(p for p in launcher.children() if p.name() == "postgres")
        backends = postmaster.children()
        postmaster.kill()
        wait_for("postgres started again", lambda: seen("postgres started again"))
        # The killed postmaster and its orphaned backends were all reaped by the launcher.
        for pid in [postmaster.pid, *(b.pid for b in backends)]:
            wait_for(f"{pid} reaped", lambda p=pid: zombie_or_gone(p) == "gone", timeout=5)  # type: ignore[misc]
        fake = next(p for p in launcher.children() if "fake_service" in " ".join(p.cmdline()))
        fake.kill()
        wait_for("the service started again", lambda: seen("started again, ", times=2))
        everything = live_descendants(launcher)
        assert {"postgres", "nats-server", "redis-server"} <= {p.name() for p in everything}

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0, "".join(output)
        deadline = time.monotonic() + 10
        while any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in everything):
            assert time.monotonic() < deadline, [p.pid for p in everything if p.is_running()]
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
