"""A throwaway MariaDB server (Debian's ``mariadb-server``) for the tests and the benchmark.

``mariadb-install-db`` makes a data directory, ``mariadbd`` serves it on a free port
of 127.0.0.1 with durability off (tests only). MariaDB, like PostgreSQL, will not run
as root: when this process is root, the server runs as the unprivileged system user
``helpdesk-mysql`` (created on demand), in a directory under ``/tmp`` it can reach.
The client account ``zenlix`` has a password and may only read, as an importer should.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pymysql

INSTALL_DB = "mariadb-install-db"
SERVER = "/usr/sbin/mariadbd"
SYSTEM_USER = "helpdesk-mysql"
READER = "zenlix"
READER_PASSWORD = "zenlix-reader"
SCHEMA = Path(__file__).parent.parent / "zenlix" / "schema.sql"


class MariaDBError(RuntimeError):
    pass


def available() -> bool:
    return Path(SERVER).exists() and shutil.which(INSTALL_DB) is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _system_user() -> pwd.struct_passwd | None:
    """The account the server runs as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--user-group",
                "--shell",
                "/usr/sbin/nologin",
                SYSTEM_USER,
            ],
            capture_output=True,
            check=False,
        )
        return pwd.getpwnam(SYSTEM_USER)


class MariaDB:
    """``start()`` / ``stop()``; ``create_database(name)`` loads the ZENLIX schema and returns
    a read-only ``mysql://`` URL; ``admin(name)`` is a connection that may write."""

    def __init__(self) -> None:
        # Short and world-traversable: the socket path must fit in 108 bytes, and the
        # server's account must reach it (pytest's own temp dirs are private to root).
        self.dir = Path(tempfile.mkdtemp(prefix="zenlix-mariadb-", dir="/tmp"))
        self.port = _free_port()
        self._proc: subprocess.Popen[bytes] | None = None
        self._account = _system_user()

    @property
    def socket(self) -> str:
        return str(self.dir / "sock")

    def start(self) -> None:
        data = self.dir / "data"
        data.mkdir()
        self.dir.chmod(0o755)
        user_args: list[str] = []
        if self._account is not None:
            os.chown(self.dir, self._account.pw_uid, self._account.pw_gid)
            os.chown(data, self._account.pw_uid, self._account.pw_gid)
            user_args = [f"--user={SYSTEM_USER}"]
        log = (self.dir / "install.log").open("wb")
        done = subprocess.run(
            [
                INSTALL_DB,
                "--no-defaults",
                f"--datadir={data}",
                *user_args,
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
        if done.returncode != 0:
            raise MariaDBError(f"mariadb-install-db failed: {(self.dir / 'install.log').read_text()[-2000:]}")
        self._proc = subprocess.Popen(
            [
                SERVER,
                "--no-defaults",
                f"--datadir={data}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={self.socket}",
                f"--pid-file={self.dir / 'server.pid'}",
                *user_args,
                "--skip-name-resolve",
                "--skip-log-bin",
                "--innodb-flush-log-at-trx-commit=0",
                "--innodb-doublewrite=0",
                "--innodb-buffer-pool-size=256M",
                "--max-allowed-packet=64M",
                f"--log-error={self.dir / 'server.log'}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            process_group=0,
        )
        self._wait_ready()
        with self._root() as conn, conn.cursor() as cur:
            cur.execute(f"CREATE USER '{READER}'@'127.0.0.1' IDENTIFIED BY '{READER_PASSWORD}'")
            cur.execute(f"CREATE USER 'owner'@'127.0.0.1' IDENTIFIED BY '{READER_PASSWORD}'")
            cur.execute("GRANT ALL ON *.* TO 'owner'@'127.0.0.1'")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            if self._proc is not None and self._proc.poll() is not None:
                raise MariaDBError(f"mariadbd exited: {self._log_tail()}")
            try:
                self._root().close()
                return
            except pymysql.MySQLError:
                if time.monotonic() > deadline:
                    raise MariaDBError(f"mariadbd did not start in 60 s: {self._log_tail()}") from None
                time.sleep(0.1)

    def _log_tail(self) -> str:
        path = self.dir / "server.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def _root(self) -> pymysql.connections.Connection[pymysql.cursors.Cursor]:
        return pymysql.connect(
            unix_socket=self.socket, user="root", password="", charset="utf8mb4", autocommit=True
        )

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> MariaDB:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def create_database(self, name: str) -> str:
        """A new database with the ZENLIX tables; its URL for the read-only account."""
        with self._root() as conn, conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8")
            cur.execute(f"USE `{name}`")
            for statement in SCHEMA.read_text().split(";"):
                lines = [line for line in statement.splitlines() if not line.strip().startswith("--")]
                if "".join(lines).strip():
                    cur.execute("\n".join(lines))
            cur.execute(f"GRANT SELECT ON `{name}`.* TO '{READER}'@'127.0.0.1'")
        return f"mysql://{READER}:{READER_PASSWORD}@127.0.0.1:{self.port}/{name}"

    def admin(self, name: str) -> pymysql.connections.Connection[pymysql.cursors.Cursor]:
        """A writing connection to database ``name`` (for the generator and the tests)."""
        return pymysql.connect(
            host="127.0.0.1",
            port=self.port,
            user="owner",
            password=READER_PASSWORD,
            database=name,
            charset="utf8mb4",
            autocommit=True,
        )

    def drop_database(self, name: str) -> None:
        with contextlib.suppress(pymysql.MySQLError), self._root() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
