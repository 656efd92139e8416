"""Which addresses a webhook may reach: the guard against server-side request forgery.

A webhook's URL is an address the administrator typed; unchecked, it would let anyone
with that right make notify call what only the cluster can reach (a database, the
cloud's metadata endpoint, another service's port). Refused: loopback, private ranges
(RFC 1918, ULA), link-local, CGNAT, multicast, unspecified and reserved addresses,
IPv4 inside IPv6 (mapped, 6to4, Teredo) judged by the IPv4 address, and the networks
the operator names (the cluster's service and pod ranges,
``HELPDESK_WEBHOOK_REFUSED_NETWORKS``) — unless the webhook's own allowed range
(an internal receiver the administrator means to reach) covers the address.

The check runs when a webhook is saved and again at every send, on the address the
name resolves to then; the sender connects to exactly that address (``Target``), so a
name that resolves elsewhere a moment later (DNS rebinding) changes nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Ranges Python's ``is_global`` does not already refuse, or that deserve their own name.
_ALWAYS_REFUSED: tuple[Network, ...] = (
    ipaddress.ip_network("100.64.0.0/10"),  # CGNAT (RFC 6598)
    ipaddress.ip_network("fc00::/7"),  # ULA
)


class UrlRefused(ValueError):
    """The URL cannot be a webhook's, or reaches an address it may not; ``str()`` says why."""


class Resolver(Protocol):
    """A host name to its addresses (tests give one that answers what they want)."""

    async def resolve(self, host: str, port: int) -> list[str]: ...


class SystemResolver:
    """The operating system's resolver (getaddrinfo), off the event loop."""

    async def resolve(self, host: str, port: int) -> list[str]:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
        except (socket.gaierror, UnicodeError) as exc:
            raise UrlRefused(f"{host} does not resolve: {exc}") from exc
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Target:
    """Where one request goes: the URL as typed (its host name for Host and TLS) and the
    checked address it connects to."""

    url: str
    scheme: str
    host: str
    port: int
    ip: str


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma-separated CIDRs ("" = none); ValueError for a malformed one."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    return ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)


def refusal(ip: IPAddress, *, refused: Sequence[Network] = (), allowed: Sequence[Network] = ()) -> str | None:
    """Why a webhook may not reach ``ip``, or None when it may."""
    if any(ip in net for net in allowed if net.version == ip.version):
        return None
    inner = _embedded_ipv4(ip)
    if inner is not None:
        return refusal(inner, refused=refused, allowed=allowed)
    for net in (*_ALWAYS_REFUSED, *refused):
        if net.version == ip.version and ip in net:
            return f"{ip} is in the refused range {net}"
    for kind, hit in (
        ("a loopback", ip.is_loopback),
        ("a link-local", ip.is_link_local),
        ("a multicast", ip.is_multicast),
        ("the unspecified", ip.is_unspecified),
        ("a private", ip.is_private),
        ("not a public", not ip.is_global),
    ):
        if hit:
            return f"{ip} is {kind} address"
    return None


def split_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; UrlRefused when it is none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"not a URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise UrlRefused("must start with http:// or https://")
    if not parts.hostname:
        raise UrlRefused("has no host")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("may not carry a user name or password")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


class AddressGuard:
    """Resolves a webhook's URL and picks an address it may reach, or refuses it."""

    def __init__(self, resolver: Resolver | None = None, refused: Sequence[Network] = ()) -> None:
        self._resolver = resolver or SystemResolver()
        self._refused = tuple(refused)

    async def target(self, url: str, allowed: Sequence[Network] = ()) -> Target:
        """Every address the host resolves to must be allowed (a name with one public and
        one internal address is refused: which one a client would use is not ours to know)."""
        scheme, host, port = split_url(url)
        try:
            ips: list[IPAddress] = [ipaddress.ip_address(host)]
        except ValueError:
            ips = [ipaddress.ip_address(a.split("%", 1)[0]) for a in await self._resolver.resolve(host, port)]
        if not ips:
            raise UrlRefused(f"{host} does not resolve")
        for ip in ips:
            why = refusal(ip, refused=self._refused, allowed=allowed)
            if why is not None:
                raise UrlRefused(f"{host} reaches an address webhooks may not: {why}")
        return Target(url=url, scheme=scheme, host=host, port=port, ip=str(ips[0]))
