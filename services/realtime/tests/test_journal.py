"""The journal in a real Redis: one call records a batch, an event recorded twice keeps its
id, and the audiences written with a batch are kept for a day."""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

from helpdesk_realtime.domain import TicketAudience
from helpdesk_realtime.journal import AUDIENCE_TTL_SECONDS, Journal


def audience(ticket_id: int) -> TicketAudience:
    return TicketAudience(
        ticket_id=ticket_id,
        staff_user_ids=frozenset({1}),
        head_unit_ids=frozenset(),
        member_unit_ids=frozenset({2}),
    )


async def test_a_batch_gets_consecutive_ids_a_second_recording_the_same_ids_and_its_keys_are_set(
    redis_url: str,
) -> None:
    redis = Redis.from_url(redis_url)
    try:
        journal = Journal(redis, window_seconds=600, max_entries=1000)
        tag = secrets.token_hex(3)
        events = [(f"tickets.TicketCreated:{tag}-{i}", audience(i), [{"n": i}]) for i in range(3)]
        key = f"cache-{tag}"
        first = await journal.record_many(events, also_set={key: b"kept"})
        assert first == [first[0], first[0] + 1, first[0] + 2]
        # another replica records the same events: the same ids, nothing appended
        assert await journal.record_many(events[1:]) == first[1:]
        replay = await journal.replay(first[0] - 1, limit=10)
        assert [e.id for e in replay.entries] == first
        assert [e.messages for e in replay.entries] == [[{"n": 0}], [{"n": 1}], [{"n": 2}]]
        assert await redis.get(key) == b"kept"
        assert 0 < await redis.ttl(key) <= AUDIENCE_TTL_SECONDS
    finally:
        await redis.aclose()
