"""The shared event journal in Redis: one id per event, the same on every replica.

Every replica receives every event (plain NATS subscriptions) and records it
here before delivering it. The first replica to record an event gives it the
next id of one global counter and appends it, with its audience, to a Redis
stream; the others find it by its source key (subject + ``Nats-Msg-Id``) and get
the same id. So a user's sockets on different replicas see the same ids, and a
reconnecting socket asks for everything after the last id it saw: the journal
is read from there and filtered by the same audience rule as live delivery.

The journal is bounded: entries older than the resume window are not replayed,
and the stream is capped in length. When a socket's ``resume_from`` is older
than what is kept (or newer than anything ever recorded: Redis lost its data),
it is told to ``resync`` instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

from helpdesk_realtime.domain import Audience, audience_from_json, audience_to_json

STREAM = "realtime:journal"
COUNTER = "realtime:journal:seq"
SEEN = "realtime:journal:seen:"
AUDIENCE_TTL_SECONDS = 30 * 24 * 3600

# KEYS: seen key, counter, stream. ARGV: entry, time ms, max length, seen ttl s.
_RECORD = """
local id = redis.call('GET', KEYS[1])
if id then return tonumber(id) end
id = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], id .. '-0', 'e', ARGV[1], 't', ARGV[2])
redis.call('SET', KEYS[1], id, 'EX', ARGV[4])
return id
"""


@dataclass(frozen=True, slots=True)
class Entry:
    """One recorded event: its id, who may receive it, and the messages it becomes."""

    id: int
    audience: Audience
    messages: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Replay:
    entries: list[Entry]
    # True when events after resume_from may have been dropped: the client must resync.
    incomplete: bool


class Journal:
    def __init__(self, redis: Redis, *, window_seconds: float, max_entries: int) -> None:
        self._redis = redis
        self._window_ms = int(window_seconds * 1000)
        self._max_entries = max_entries
        self._record = redis.register_script(_RECORD)

    async def record_many(
        self,
        events: list[tuple[str, Audience, list[dict[str, Any]]]],
        *,
        also_set: dict[str, bytes] | None = None,
    ) -> list[int]:
        """:meth:`record` for a batch in one round trip (plus ``also_set`` keys, a day long)."""
        now_ms = int(time.time() * 1000)
        seen_ttl = max(self._window_ms // 1000, 1) * 2
        pipe = self._redis.pipeline(transaction=False)
        for source_key, audience, messages in events:
            entry = orjson.dumps({"a": audience_to_json(audience), "m": messages})
            await self._record(
                keys=[SEEN + source_key, COUNTER, STREAM],
                args=[entry, now_ms, self._max_entries, seen_ttl],
                client=pipe,
            )
        for key, value in (also_set or {}).items():
            pipe.set(key, value, ex=AUDIENCE_TTL_SECONDS)
        results = await pipe.execute()
        return [int(r) for r in results[: len(events)]]

    async def replay(self, after: int, *, limit: int) -> Replay:
        """The entries after ``after`` still in the window (at most ``limit``)."""
        last = await self._redis.get(COUNTER)
        last_id = int(last) if last is not None else 0
        if after > last_id:
            return Replay(entries=[], incomplete=True)
        if after == last_id:
            return Replay(entries=[], incomplete=False)
        raw: list[tuple[bytes, dict[bytes, bytes]]] = await self._redis.xrange(  # type: ignore[assignment]
            STREAM, min=f"({after}-0", max="+", count=limit + 1
        )
        oldest_kept = int(time.time() * 1000) - self._window_ms
        entries: list[Entry] = []
        incomplete = len(raw) > limit
        expected = after + 1
        for stream_id, fields in raw[:limit]:
            entry_id = int(stream_id.split(b"-", 1)[0])
            if entry_id != expected or int(fields[b"t"]) < oldest_kept:
                incomplete = True  # trimmed away, or older than the window
            expected = entry_id + 1
            if int(fields[b"t"]) < oldest_kept:
                continue
            body = orjson.loads(fields[b"e"])
            try:
                audience = audience_from_json(body["a"])
            except KeyError:  # recorded by an older realtime: the client refetches instead
                incomplete = True
                continue
            entries.append(Entry(entry_id, audience, body["m"]))
        if not raw:
            incomplete = True
        return Replay(entries=entries, incomplete=incomplete)
