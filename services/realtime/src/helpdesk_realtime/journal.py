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

# One call records a whole batch (a pipeline of scripts would ask Redis first whether the
# script is loaded: a second round trip per batch).
# KEYS: counter, stream, then n seen keys, then the keys to set.
# ARGV: time ms, max length, seen ttl s, n, ttl s of the keys to set, n entries, their values.
_RECORD_MANY = """
local n = tonumber(ARGV[4])
local ids = {}
for i = 1, n do
  local seen = KEYS[2 + i]
  local id = redis.call('GET', seen)
  if id then
    ids[i] = tonumber(id)
  else
    id = redis.call('INCR', KEYS[1])
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], id .. '-0', 'e', ARGV[5 + i], 't', ARGV[1])
    redis.call('SET', seen, id, 'EX', ARGV[3])
    ids[i] = id
  end
end
for j = 3 + n, #KEYS do
  redis.call('SET', KEYS[j], ARGV[3 + j], 'EX', ARGV[5])
end
return ids
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
        self._record_many = redis.register_script(_RECORD_MANY)

    async def record_many(
        self,
        events: list[tuple[str, Audience, list[dict[str, Any]]]],
        *,
        also_set: dict[str, bytes] | None = None,
    ) -> list[int]:
        """Records a batch in one round trip (plus ``also_set`` keys, a day long): each
        event gets the next id unless a replica recorded it already, then its id."""
        now_ms = int(time.time() * 1000)
        seen_ttl = max(self._window_ms // 1000, 1) * 2
        extra = also_set or {}
        keys = [COUNTER, STREAM, *(SEEN + source_key for source_key, _, _ in events), *extra]
        entries = [orjson.dumps({"a": audience_to_json(a), "m": m}) for _, a, m in events]
        args: list[Any] = [now_ms, self._max_entries, seen_ttl, len(events), AUDIENCE_TTL_SECONDS]
        ids = await self._record_many(keys=keys, args=[*args, *entries, *extra.values()])
        return [int(i) for i in ids]

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
