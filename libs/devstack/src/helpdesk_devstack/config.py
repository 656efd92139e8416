"""The launcher's configuration: the ``[[service]]`` tables of a devstack TOML file.

See :mod:`helpdesk_devstack.stack` for the file's shape and what each key does;
here it is read and validated into :class:`ServiceSpec` values. The names of the
environment variables the launcher reads and sets live here too.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from helpdesk_devstack.natsauth import NatsAccess

__all__ = [
    "DATABASE_URL_ENV",
    "GATEWAY_PORT_ENV",
    "GRPC_PORT_ENV",
    "HTTP_PORT_ENV",
    "NATS_URL_ENV",
    "PUBLIC_URL_ENV",
    "REDIS_URL_ENV",
    "SECRET_KEYS_ENV",
    "TLS_DIR_ENV",
    "ServiceSpec",
    "StackError",
    "load_config",
]

DATABASE_URL_ENV = "HELPDESK_DATABASE_URL"
NATS_URL_ENV = "HELPDESK_NATS_URL"
REDIS_URL_ENV = "HELPDESK_REDIS_URL"
HTTP_PORT_ENV = "HELPDESK_HTTP_PORT"
GRPC_PORT_ENV = "HELPDESK_GRPC_PORT"
PUBLIC_URL_ENV = "HELPDESK_PUBLIC_URL"
GATEWAY_PORT_ENV = "HELPDESK_GATEWAY_PORT"
TLS_DIR_ENV = "HELPDESK_TLS_DIR"
SECRET_KEYS_ENV = "HELPDESK_SECRET_KEYS"

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")

_T = TypeVar("_T")


class StackError(RuntimeError):
    """The stack could not be configured, started or driven."""


@dataclass(frozen=True)
class ServiceSpec:
    """One ``[[service]]`` entry of the TOML file."""

    name: str
    module: str
    grpc: bool = False
    public: bool = False
    migrate: bool = True
    setup: tuple[tuple[str, ...], ...] = ()
    ready_path: str = "/readyz"
    # Owns a PostgreSQL schema of its name, reached as a role of its name.
    database: bool = False
    # PostgreSQL extensions its migrations use, created in its schema beforehand.
    extensions: tuple[str, ...] = ()
    # What it may do on NATS (None: it does not connect).
    nats: NatsAccess | None = None

    @property
    def env_name(self) -> str:
        """The NAME in ``HELPDESK_<NAME>_ADDR`` / ``HELPDESK_<NAME>_URL``."""
        return self.name.upper()


_KEYS = {
    "name",
    "module",
    "grpc",
    "public",
    "migrate",
    "setup",
    "ready_path",
    "database",
    "extensions",
    "nats",
}


def load_config(path: Path) -> list[ServiceSpec]:
    """Read and validate the services of a devstack TOML file, in start order."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise StackError(f"cannot read {path}: {exc}") from exc
    entries = data.get("service")
    if not isinstance(entries, list) or not entries:
        raise StackError(f"{path}: expected at least one [[service]] table")
    services = [_parse_service(path, i, entry) for i, entry in enumerate(entries)]
    names = [s.name for s in services]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise StackError(f"{path}: duplicate service names: {', '.join(duplicates)}")
    if sum(s.public for s in services) > 1:
        raise StackError(f"{path}: more than one service has public = true")
    return services


def _parse_service(path: Path, index: int, raw: object) -> ServiceSpec:
    where = f"{path}: service #{index + 1}"
    if not isinstance(raw, dict):
        raise StackError(f"{where}: expected a table")
    unknown = set(raw) - _KEYS
    if unknown:
        raise StackError(f"{where}: unknown keys {sorted(unknown)}")
    name = _typed(raw, "name", str, where, None)
    where = f"{path}: service {name!r}"
    module = _typed(raw, "module", str, where, None)
    if not _NAME.match(name):
        raise StackError(f"{where}: name must match {_NAME.pattern}")
    if not _MODULE.match(module):
        raise StackError(f"{where}: {module!r} is not a module name")
    setup = _typed(raw, "setup", list, where, [])
    if not all(isinstance(cmd, str) and cmd.strip() for cmd in setup):
        raise StackError(f"{where}: setup must be a list of non-empty strings")
    ready_path = _typed(raw, "ready_path", str, where, "/readyz")
    if not ready_path.startswith("/"):
        raise StackError(f"{where}: ready_path must start with '/'")
    extensions = _typed(raw, "extensions", list, where, [])
    if not all(isinstance(e, str) and _NAME.match(e) for e in extensions):
        raise StackError(f"{where}: extensions must be a list of extension names")
    nats_table = raw.get("nats")
    if nats_table is not None and not isinstance(nats_table, dict):
        raise StackError(f"{where}: nats must be a table")
    try:
        nats = NatsAccess.from_table(nats_table) if nats_table is not None else None
    except ValueError as exc:
        raise StackError(f"{where}: {exc}") from exc
    return ServiceSpec(
        name=name,
        module=module,
        grpc=_typed(raw, "grpc", bool, where, False),
        public=_typed(raw, "public", bool, where, False),
        migrate=_typed(raw, "migrate", bool, where, True),
        setup=tuple(tuple(shlex.split(cmd)) for cmd in setup),
        ready_path=ready_path,
        database=_typed(raw, "database", bool, where, False),
        extensions=tuple(extensions),
        nats=nats,
    )


def _typed(raw: Mapping[str, object], key: str, kind: type[_T], where: str, default: _T | None) -> _T:
    value = raw.get(key, default)
    if value is None:
        raise StackError(f"{where}: {key!r} is required")
    if not isinstance(value, kind):
        raise StackError(f"{where}: {key!r} must be a {kind.__name__}")
    return value
