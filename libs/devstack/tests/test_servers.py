"""Real PostgreSQL, NATS and Redis servers: start, use, stop, restart with the data kept."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import asyncpg
import nats
import psutil
import pytest
import redis.asyncio as aioredis

from helpdesk_devstack.servers import (
    PG_SYSTEM_USER,
    NatsServer,
    PostgresServer,
    RedisServer,
    ServerError,
    free_port,
)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


# ----------------------------------------------------------------------------- PostgreSQL


async def test_postgres_runs_sql_and_keeps_data_across_restarts(tmp_path: Path) -> None:
    server = PostgresServer(tmp_path / "pg", durable=False)
    try:
        server.start()
        assert server.url == f"postgresql://helpdesk@127.0.0.1:{server.port}/helpdesk"
        conn = await asyncpg.connect(server.url)
        try:
            assert await conn.fetchval("SELECT 1") == 1
            assert await conn.fetchval("SHOW max_connections") == "300"
            assert await conn.fetchval("SHOW fsync") == "off"
            assert await conn.fetchval("SHOW server_encoding") == "UTF8"
            await conn.execute("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('x')")
        finally:
            await conn.close()
        pid = server.pid
        assert pid is not None
        if os.geteuid() == 0:
            assert psutil.Process(pid).username() == PG_SYSTEM_USER
        server.stop()
        assert gone(pid)
        assert server.pid is None

        server.start()  # same object, same port
        conn = await asyncpg.connect(server.url)
        try:
            assert await conn.fetchval("SELECT v FROM kept") == "x"
        finally:
            await conn.close()
        server.stop()

        # A new server on the same data directory reuses the cluster (no initdb).
        with PostgresServer(tmp_path / "pg", durable=False) as again:
            assert again.pgdata == server.pgdata
            conn = await asyncpg.connect(again.url)
            try:
                assert await conn.fetchval("SELECT v FROM kept") == "x"
            finally:
                await conn.close()
        initdb_banner = "The files belonging to this database system will be owned by"
        assert server.log_path.read_text().count(initdb_banner) == 1
        assert (server.pgdata / "PG_VERSION").exists()
    finally:
        server.destroy()
    assert not server.pgdata.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="the /tmp fallback is for root only")
def test_root_fallback_cluster_is_swept_once_its_data_dir_is_gone(tmp_path: Path) -> None:
    # pytest's tmp dirs are not traversable by the PostgreSQL account, so the
    # cluster lives under /tmp/helpdesk-pg; it must not outlive its data_dir.
    doomed = PostgresServer(tmp_path / "doomed" / "pg", durable=False)
    with doomed:
        pass
    cluster = doomed.pgdata
    assert cluster.parent == Path(tempfile.gettempdir()) / "helpdesk-pg"
    assert (cluster / "PG_VERSION").exists()
    assert (doomed.data_dir / "pgdata.location").read_text().strip() == str(cluster)
    shutil.rmtree(tmp_path / "doomed")

    other = PostgresServer(tmp_path / "other" / "pg", durable=False)
    assert other.pgdata != cluster
    assert not cluster.exists()
    assert not cluster.with_suffix(".origin").exists()
    other.destroy()
    assert not other.pgdata.exists()
    assert not other.pgdata.with_suffix(".origin").exists()


async def test_postgres_create_and_drop_database(postgres_server: PostgresServer) -> None:
    url = postgres_server.create_database("made_here")
    assert url.endswith("/made_here")
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT current_database()") == "made_here"
    finally:
        await conn.close()
    postgres_server.drop_database("made_here")
    assert postgres_server.psql("SELECT count(*) FROM pg_database WHERE datname='made_here'") == "0"
    with pytest.raises(ValueError):
        postgres_server.create_database('x"; DROP DATABASE helpdesk; --')


def test_postgres_start_failure_reports_log_and_leaves_nothing(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        server = PostgresServer(tmp_path / "pg", port, durable=False)
        before = {p.pid for p in psutil.Process().children(recursive=True)}
        with pytest.raises(ServerError, match=r"(?s)postgres on port .*Address already in use"):
            server.start()
    after = {p.pid for p in psutil.Process().children(recursive=True) if not gone(p.pid)}
    assert after <= before
    assert not server.running
    server.destroy()


async def test_database_url_fixture_gives_an_empty_database(
    database_url: str, postgres_server: PostgresServer
) -> None:
    assert database_url.startswith(f"postgresql://helpdesk@127.0.0.1:{postgres_server.port}/test_")
    conn = await asyncpg.connect(database_url)
    try:
        tables = await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        assert tables == 0
        await conn.execute("CREATE TABLE only_here (id int)")
    finally:
        await conn.close()


async def test_database_url_fixture_isolates_tests(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        exists = await conn.fetchval("SELECT to_regclass('public.only_here') IS NOT NULL")
        assert exists is False
    finally:
        await conn.close()


# ----------------------------------------------------------------------------- NATS


async def test_nats_jetstream_keeps_streams_across_restarts(tmp_path: Path) -> None:
    with NatsServer(tmp_path / "nats") as server:
        assert server.url == f"nats://127.0.0.1:{server.port}"
        nc = await nats.connect(server.url)
        try:
            js = nc.jetstream()
            await js.add_stream(name="EXAMPLE", subjects=["example.>"])
            for i in range(3):
                ack = await js.publish("example.Happened", f"{i}".encode())
                assert ack.stream == "EXAMPLE"
        finally:
            await nc.close()
        pid = server.pid
    assert pid is not None and gone(pid)

    with NatsServer(tmp_path / "nats") as server:
        nc = await nats.connect(server.url)
        try:
            info = await nc.jetstream().stream_info("EXAMPLE")
            assert info.state.messages == 3
        finally:
            await nc.close()


async def test_nats_url_fixture(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        account = await nc.jetstream().account_info()
        assert account.limits is not None
    finally:
        await nc.close()


# ----------------------------------------------------------------------------- Redis


async def test_redis_set_get_and_append_only_file(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis")
    with server:
        assert server.url == f"redis://127.0.0.1:{server.port}/0"
        client = aioredis.from_url(server.url)
        try:
            await client.set("k", "v")
            assert await client.get("k") == b"v"
        finally:
            await client.aclose()
        pid = server.pid
    assert pid is not None and gone(pid)
    assert not server.running

    with server:  # the append-only file brings the key back
        client = aioredis.from_url(server.url)
        try:
            assert await client.get("k") == b"v"
        finally:
            await client.aclose()


def test_redis_start_failure_reports_log(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        server = RedisServer(tmp_path / "redis", blocker.getsockname()[1])
        with pytest.raises(ServerError, match="redis on port"):
            server.start()
    assert not server.running


async def test_redis_url_fixture(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    try:
        assert await client.ping()
    finally:
        await client.aclose()
