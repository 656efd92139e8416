"""Rate limits of the public API: one table (route → limit), checked before the route runs.

Counted in Redis (``limits``' moving window, shared by every replica) per signed-in
user, or per client address for the routes anyone may call. Over a limit the answer
is 429 problem+json with ``Retry-After``. Routes need not know: the app adds
:func:`enforce` as a dependency of the whole API router, and it looks the route up
here. The limits are settings (``HELPDESK_RATE_*``, e.g. ``30/minute`` or
``30/minute;300/day``; empty: none). Without Redis (``HELPDESK_REDIS_URL`` unset) or while it is
down, nothing is limited: the limits protect the site, they must not take it down.
"""

from __future__ import annotations

import enum
import math
import time
from dataclasses import dataclass

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from starlette.requests import HTTPConnection
from starlette.routing import compile_path

from helpdesk_gateway.auth import current_caller
from helpdesk_gateway.config import Settings
from helpdesk_kit.errors import RateLimited, Unauthenticated
from helpdesk_kit.logs import get_logger

log = get_logger(__name__)


class Per(enum.Enum):
    USER = "user"  # the signed-in caller (the route requires one)
    ADDRESS = "address"  # the client address (routes for anyone)


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


# The table's paths as patterns: requests are matched by method and path (the route object
# FastAPI puts in the scope carries only its own router's part of the path).
_PATTERNS = [(method, compile_path(path)[0], rule) for (method, path), rule in RULES.items()]


def rule_for(method: str, path: str) -> Rule | None:
    return next((rule for m, pattern, rule in _PATTERNS if m == method and pattern.match(path)), None)


def redis_storage(redis_url: str) -> RedisStorage:
    """``limits``' asyncio Redis storage on redis-py (the client every service already has)."""
    scheme, sep, rest = redis_url.partition("://")
    uri = f"async+{'redis+unix' if scheme == 'unix' else scheme}{sep}{rest}"
    return RedisStorage(uri, implementation="redispy", wrap_exceptions=True, key_prefix="gateway")


class RateLimits:
    """The table with the settings' limits, counted in ``storage``."""

    def __init__(self, settings: Settings, storage: RedisStorage) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._items: dict[str, list[RateLimitItem]] = {
            rule.setting: parse_many(limit) if (limit := getattr(settings, rule.setting).strip()) else []
            for rule in RULES.values()
        }

    async def hit(self, rule: Rule, who: str) -> None:
        """Counts one request of ``who`` under ``rule``; RateLimited when it is one too many."""
        for item in self._items[rule.setting]:
            try:
                if await self._limiter.hit(item, rule.setting, who):
                    continue
                reset_at, _ = await self._limiter.get_window_stats(item, rule.setting, who)
            except StorageError as exc:
                log.warning("gateway.rate_limits_unavailable", error=repr(exc))
                return
            raise RateLimited(
                f"Too many {rule.what}: at most {item.amount} per {_period(item)}; try again later.",
                retry_after=max(math.ceil(reset_at - time.time()), 1),
            )


def _period(item: RateLimitItem) -> str:
    return f"{item.multiples} {item.GRANULARITY.name}s" if item.multiples > 1 else item.GRANULARITY.name


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


async def enforce(connection: HTTPConnection) -> None:
    """The API router's dependency: the route's limit, if the table has one."""
    limits: RateLimits | None = getattr(connection.app.state, "rate_limits", None)
    if limits is None or not isinstance(connection, Request):  # no Redis; or a WebSocket
        return
    rule = rule_for(connection.method, connection.url.path)
    if rule is None:
        return
    if rule.per is Per.USER:
        try:
            caller = await current_caller(connection)
        except Unauthenticated:
            # Nobody to count: the route refuses the request itself — after what must come
            # first there (a switched-off portal answers 404 to everyone, signed in or not).
            return
        who = f"user:{caller.user_id}"
    else:
        who = f"address:{client_address(connection)}"
    await limits.hit(rule, who)
