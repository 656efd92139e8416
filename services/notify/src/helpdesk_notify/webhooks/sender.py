"""One attempt at one webhook delivery: the signed POST to the checked, pinned address.

The URL's host is resolved and checked (``addresses``) at every attempt; the request
goes to that very address, with the name kept in ``Host`` and in TLS (SNI and the
certificate check), so the name cannot resolve somewhere else between check and
connect. Redirects are not followed (a 3xx is a failure), proxies from the environment
are not used, and only the first 512 bytes of an answer are read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson

from helpdesk_notify.webhooks import addresses, signing
from helpdesk_notify.webhooks.addresses import AddressGuard, Network, Target, UrlRefused

EXCERPT_BYTES = 512
USER_AGENT = "Helpdesk-Webhooks/1"


@dataclass(frozen=True)
class Attempt:
    """What one attempt came to: ``sent``, ``retry`` (5xx, 408, 429, timeout, no connection)
    or ``dead`` (any other 4xx, a 3xx, an address refused, a URL that cannot work)."""

    outcome: str
    status_code: int = 0
    latency_ms: int = 0
    response: str = ""
    error: str = ""


def body(event_id: str, type_: str, occurred_at: str, data: object) -> bytes:
    """The JSON every receiver gets: ``{id, type, occurred_at, data}``."""
    return orjson.dumps({"id": event_id, "type": type_, "occurred_at": occurred_at, "data": data})


def _pinned_url(target: Target) -> str:
    parts = urlsplit(target.url)
    host = f"[{target.ip}]" if ":" in target.ip else target.ip
    return urlunsplit((parts.scheme, f"{host}:{target.port}", parts.path or "/", parts.query, ""))


def _host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    name = f"[{target.host}]" if ":" in target.host else target.host
    return name if target.port == default else f"{name}:{target.port}"


def _classify(code: int) -> str:
    if 200 <= code < 300:
        return "sent"
    if code >= 500 or code in (408, 429):
        return "retry"
    return "dead"


class Sender:
    """Sends deliveries; one HTTP client (connection pool) for the process."""

    def __init__(self, guard: AddressGuard, *, timeout_seconds: float = 10.0) -> None:
        self._guard = guard
        self._timeout = timeout_seconds
        self._client = httpx.AsyncClient(
            timeout=timeout_seconds,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def send(
        self, *, url: str, allowed_cidr: str, secret: str, payload: bytes, event_id: str
    ) -> Attempt:
        try:
            allowed: Sequence[Network] = addresses.parse_networks(allowed_cidr)
            target = await self._guard.target(url, allowed)
        except (UrlRefused, ValueError) as exc:
            return Attempt("dead", error=f"refused: {exc}")
        stamp = int(time.time())
        headers = {
            "Host": _host_header(target),
            "Content-Type": "application/json",
            signing.HEADER: signing.signature(secret, stamp, payload),
            "Helpdesk-Event-Id": event_id,
        }
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        started = time.monotonic()
        try:
            # httpx's timeout bounds each read and write; a receiver trickling its answer
            # byte by byte is bounded by this one, on the whole exchange.
            async with asyncio.timeout(self._timeout):
                request = self._client.build_request(
                    "POST", _pinned_url(target), content=payload, headers=headers, extensions=extensions
                )
                response = await self._client.send(request, stream=True)
                try:
                    excerpt = b""
                    async for chunk in response.aiter_bytes():
                        excerpt += chunk
                        if len(excerpt) >= EXCERPT_BYTES:
                            break
                finally:
                    await response.aclose()
        except (httpx.TimeoutException, TimeoutError) as exc:
            return Attempt("retry", latency_ms=_ms(started), error=f"timed out: {type(exc).__name__}")
        except httpx.TransportError as exc:
            return Attempt("retry", latency_ms=_ms(started), error=f"no connection: {exc!r}")
        code = response.status_code
        text = excerpt[:EXCERPT_BYTES].decode("utf-8", "replace")
        outcome = _classify(code)
        error = ""
        if outcome != "sent":
            error = f"HTTP {code}"
            if 300 <= code < 400:
                error += f": redirect to {response.headers.get('location', '?')} not followed"
        return Attempt(outcome, code, _ms(started), text, error)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
