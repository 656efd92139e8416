"""The one machine's credentials, made on first start and kept in ``var/credentials.json``.

Passwords of the PostgreSQL roles and NATS users (one per service, plus the tools'
administrator accounts) and each service's key ring for secrets at rest
(``HELPDESK_SECRET_KEYS``). The file is readable by its owner only; a second start
reuses it, so the data under ``var/`` stays readable.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

__all__ = ["Credentials"]


class Credentials:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._data: dict[str, dict[str, str]] = {}
        if self.path.exists():
            self._data = json.loads(self.path.read_text(encoding="utf-8"))

    def password(self, kind: str, name: str) -> str:
        """The password of ``name`` (a PostgreSQL role, a NATS user...), made once."""
        return self._get(kind, name, lambda: secrets.token_urlsafe(24))

    def secret_keys(self, service: str) -> str:
        """``service``'s key ring for secrets at rest: ``<key id>:<base64 of 32 bytes>``."""
        return self._get(
            "secret_keys",
            service,
            lambda: f"k{secrets.token_hex(3)}:{base64.b64encode(secrets.token_bytes(32)).decode()}",
        )

    def _get(self, kind: str, name: str, make: object) -> str:
        section = self._data.setdefault(kind, {})
        if name not in section:
            assert callable(make)
            section[name] = make()
            self._save()
        return section[name]

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._data, indent=2, sort_keys=True), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(self.path)
