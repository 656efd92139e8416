"""Dead letters (admin): deliveries given up on, listed with their reason, and replayed."""

from __future__ import annotations

from helpdesk_kit.db import Database
from helpdesk_kit.errors import FieldError
from helpdesk_kit.logs import get_logger
from helpdesk_notify import domain, store
from helpdesk_notify.errors import InvalidReplay
from helpdesk_notify.usecases.channel_settings import require_admin

log = get_logger(__name__)


async def dead_letters(
    *,
    db: Database,
    actor_is_admin: bool,
    limit: int,
    before_id: int | None,
    where: store.DeadFilter | None = None,
) -> list[store.Delivery]:
    require_admin(actor_is_admin)
    async with db.unit_of_work() as uow:
        return await store.dead_letters(
            uow.conn, limit=min(max(limit, 1), 200), before_id=before_id, where=where
        )


#: At most this many dead letters go back in the queue per replay (ask again for more).
REPLAY_LIMIT = 10_000


async def replay_dead_letters(*, db: Database, actor_is_admin: bool, where: store.DeadFilter) -> list[int]:
    """Puts dead letters back in their queue, due now with a fresh retry horizon.

    One by one (ids) or by filter (channel, event). Idempotent: only dead rows move,
    so a second replay of the same letters changes nothing and nothing is sent twice.
    """
    require_admin(actor_is_admin)
    errors: list[FieldError] = []
    if not (where.ids or where.channel or where.event):
        errors.append(FieldError("ids", "name dead letters, or a channel or an event"))
    if where.channel and where.channel not in domain.QUEUED_CHANNELS:
        errors.append(FieldError("channel", f"one of {', '.join(domain.QUEUED_CHANNELS)}"))
    if len(where.ids) > REPLAY_LIMIT:
        errors.append(FieldError("ids", f"at most {REPLAY_LIMIT}"))
    if errors:
        raise InvalidReplay("Which dead letters?", errors=errors)
    async with db.unit_of_work() as uow:
        replayed = await store.replay_dead(uow.conn, where, limit=REPLAY_LIMIT)
        await uow.commit()
    log.info("notify.dead_letters_replayed", count=len(replayed))
    return replayed
