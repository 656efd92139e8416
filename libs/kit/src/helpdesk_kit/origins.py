"""Which pages may open a WebSocket: the browser's ``Origin`` against an allow-list.

A browser sends the cookie of the socket's host whatever page opens the socket, and
always says which page that is (``Origin``); so a socket whose credential may be the
cookie is accepted only from the configured origins — the public URL's and
``HELPDESK_WS_ALLOWED_ORIGINS`` — and a page elsewhere cannot act as the signed-in
user (cross-site WebSocket hijacking). A request without ``Origin`` is not a
browser's: a program, accepted only with its token in the ``Authorization`` header,
never with a cookie or a URL token.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["OriginPolicy"]

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# The names one machine's page may be opened under (for a loopback public URL).
_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL or an Origin header; None when it is not one."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host, port or _DEFAULT_PORTS[scheme]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class OriginPolicy:
    allowed: frozenset[tuple[str, str, int]]

    @classmethod
    def of(cls, public_url: str, extra: str = "") -> OriginPolicy:
        """The public URL's origin and the comma-separated ``extra`` ones. A loopback public
        URL (one machine) also admits the other loopback names on its port: the page may
        be opened as localhost or as 127.0.0.1, and that port is this server's either way."""
        allowed = {o for url in [public_url, *extra.split(",")] if (o := _origin(url))}
        for scheme, host, port in list(allowed):
            if _is_loopback(host):
                allowed |= {(scheme, name, port) for name in _LOOPBACK_HOSTS}
        return cls(frozenset(allowed))

    def refusal(self, origin: str | None, *, bearer: bool) -> str | None:
        """Why a socket from ``origin`` (None: no header) may not open; None when it may.
        ``bearer``: the request carries ``Authorization: Bearer``."""
        if origin is None:
            return None if bearer else "Send the token in the Authorization header."
        found = _origin(origin)
        if found is None or found not in self.allowed:
            return "This origin may not open the socket."
        return None
