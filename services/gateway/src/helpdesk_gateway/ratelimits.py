"""Rate limits of the public API: one general limit on every request, and one table
(route → limit) for the routes whose abuse costs others; checked before the route runs.

Counted in Redis (moving windows, shared by every replica: ``ratewindows``, every window a
request falls under in one round trip) per signed-in
user, or per client address for the routes anyone may call (and, for the general limit,
for requests without a valid token). Every answer of ``/api/v1`` under a limit says
where its caller stands, with the fields ``RateLimit-Limit``, ``RateLimit-Remaining`` and
``RateLimit-Reset`` (seconds) of draft-ietf-httpapi-ratelimit-headers-06 — of the limits
that applied, the one closest to running out (docs/api-conventions.md § Rate limits).
Over a limit the answer is 429 problem+json with ``Retry-After``. Routes need not know:
the app adds :func:`enforce` as a dependency of the whole API router, and
:class:`~helpdesk_gateway.edge.Edge` writes the fields on the way out. The limits are settings
(``HELPDESK_RATE_*``, e.g. ``30/minute`` or ``30/minute;300/day``; empty: none). Without
Redis (``HELPDESK_REDIS_URL`` unset) or while it is down, nothing is limited: the limits
protect the site, they must not take it down.
"""

from __future__ import annotations

import enum
import math
import time
from dataclasses import dataclass, field, replace

from fastapi import Request
from limits import RateLimitItem, parse_many
from redis.exceptions import RedisError
from starlette.requests import HTTPConnection
from starlette.routing import compile_path

from helpdesk_gateway.auth import Caller, caller_of
from helpdesk_gateway.config import Settings
from helpdesk_gateway.ratewindows import Ask, Windows
from helpdesk_kit.errors import RateLimited, Unauthenticated
from helpdesk_kit.logs import get_logger

log = get_logger(__name__)


class Per(enum.Enum):
    USER = "user"  # the signed-in caller (the route requires one)
    ADDRESS = "address"  # the client address (routes for anyone)
    CALLER = "caller"  # the signed-in caller if the token is good, else the client address


@dataclass(frozen=True)
class Rule:
    setting: str  # the Settings field holding the limit
    per: Per
    what: str  # for the problem's detail


# (method, route path as declared) → its limit. A route added where abuse costs others
# (mails, storage, notifications) gets a line here and a setting in config.py.
RULES: dict[tuple[str, str], Rule] = {
    ("POST", "/api/v1/tickets"): Rule("rate_tickets", Per.USER, "new tickets"),
    ("POST", "/api/v1/tickets/{ticket_id}/comments"): Rule("rate_comments", Per.USER, "comments"),
    ("POST", "/api/v1/tickets/{ticket_id}/attachments"): Rule("rate_uploads", Per.USER, "uploads"),
    ("POST", "/api/v1/auth/register"): Rule("rate_registrations", Per.ADDRESS, "registrations"),
    ("POST", "/api/v1/auth/password-reset"): Rule("rate_password_resets", Per.ADDRESS, "password resets"),
    # The portal counts its own posts and comments per hour (its settings, in its database);
    # its uploads (kept in PostgreSQL) and anonymous helpful votes are counted here.
    ("POST", "/api/v1/portal/attachments"): Rule("rate_portal_uploads", Per.USER, "portal uploads"),
    ("POST", "/api/v1/portal/kb/articles/{article_id}/helpful"): Rule(
        "rate_portal_votes", Per.ADDRESS, "helpful votes"
    ),
}


# Every request to /api/v1, whatever the route: what a program may ask in a minute.
API_RULE = Rule("rate_api", Per.CALLER, "requests")
API_PREFIX = "/api/v1/"

# The table's paths as patterns: requests are matched by method and path (the route object
# FastAPI puts in the scope carries only its own router's part of the path).
_PATTERNS = [(method, compile_path(path)[0], rule) for (method, path), rule in RULES.items()]


def rule_for(method: str, path: str) -> Rule | None:
    return next((rule for m, pattern, rule in _PATTERNS if m == method and pattern.match(path)), None)


@dataclass(frozen=True)
class Quota:
    """Where a caller stands under one limit: its size, what is left, seconds until more."""

    limit: int
    remaining: int
    reset: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset).encode()),
        ]


@dataclass
class OverLimit(RateLimited):
    """429: one request too many; ``quota`` is the limit it broke (for the answer's fields)."""

    quota: Quota = field(default_factory=lambda: Quota(0, 0, 0))


class RateLimits:
    """The table with the settings' limits, counted in ``windows``."""

    def __init__(self, settings: Settings, windows: Windows) -> None:
        self._windows = windows
        self._items: dict[str, list[RateLimitItem]] = {
            rule.setting: parse_many(limit) if (limit := getattr(settings, rule.setting).strip()) else []
            for rule in [*RULES.values(), API_RULE]
        }

    async def hit(self, *counted: tuple[Rule, str]) -> Quota | None:
        """Counts one request of each ``who`` under its ``rule``, every limit in one round
        trip and in turn: the quota closest to running out (None: no limit, or Redis is
        away); OverLimit at the first limit it is one too many for (later ones not counted)."""
        plan = [(rule, item, who) for rule, who in counted for item in self._items[rule.setting]]
        if not plan:
            return None
        asks = [
            Ask(item.key_for(rule.setting, who), item.amount, item.get_expiry()) for rule, item, who in plan
        ]
        try:
            windows = await self._windows.take(asks)
        except RedisError as exc:
            log.warning("gateway.rate_limits_unavailable", error=repr(exc))
            return None
        now = time.time()
        tightest: Quota | None = None
        for (rule, item, _), window in zip(plan, windows, strict=False):
            # An empty window reports its reset as now: a full period is then the honest wait.
            wait = math.ceil(window.oldest + item.get_expiry() - now)
            quota = Quota(item.amount, item.amount - window.count, wait if wait > 0 else item.get_expiry())
            if not window.taken:
                raise OverLimit(
                    f"Too many {rule.what}: at most {item.amount} per {_period(item)}; try again later.",
                    retry_after=max(quota.reset, 1),
                    quota=replace(quota, remaining=0),
                )
            if tightest is None or quota.remaining < tightest.remaining:
                tightest = quota
        return tightest


def _period(item: RateLimitItem) -> str:
    return f"{item.multiples} {item.GRANULARITY.name}s" if item.multiples > 1 else item.GRANULARITY.name


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


async def enforce(connection: HTTPConnection) -> None:
    """The API router's dependency: the general limit and the route's own, if the table has
    one; where the caller stands is kept for the edge (``edge.Edge``) to write."""
    limits: RateLimits | None = getattr(connection.app.state, "rate_limits", None)
    if limits is None or not isinstance(connection, Request):  # no Redis; or a WebSocket
        return
    counted: list[tuple[Rule, str]] = []
    # The scope's path, not ``url.path``: the same for these prefixes and patterns (the URL
    # only escapes ?, # and \, none of them a /), without building the URL per request.
    path: str = connection.scope["path"]
    if path.startswith(API_PREFIX):
        counted.append((API_RULE, await _caller_or_address(connection)))
    rule = rule_for(connection.method, path)
    if rule is not None and (who := await _route_who(rule, connection)) is not None:
        counted.append((rule, who))
    try:
        quota = await limits.hit(*counted)
    except OverLimit as over:
        connection.state.quota = over.quota
        raise
    if quota is not None:
        connection.state.quota = quota


async def limited_caller(request: Request) -> Caller:
    """What the API router's :func:`enforce` and a route's ``CallerDep`` do, in that order,
    as one dependency: for a hoisted route's lean endpoint (``hot_routes``), which FastAPI
    then solves one dependency for instead of four (the caller's two security schemes
    included)."""
    await enforce(request)
    return await caller_of(request)


async def _caller_or_address(request: Request) -> str:
    if request.headers.get("authorization"):
        try:
            return f"user:{(await caller_of(request)).user_id}"
        except Unauthenticated:
            pass  # the route answers 401 itself; the request still counts, against its address
    return f"address:{client_address(request)}"


async def _route_who(rule: Rule, request: Request) -> str | None:
    if rule.per is Per.USER:
        try:
            caller = await caller_of(request)
        except Unauthenticated:
            # Nobody to count: the route refuses the request itself — after what must come
            # first there (a switched-off portal answers 404 to everyone, signed in or not).
            return None
        return f"user:{caller.user_id}"
    return f"address:{client_address(request)}"
