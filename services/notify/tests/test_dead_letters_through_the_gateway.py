"""Dead letters as an admin sees them through the gateway: listed with reason and attempts,
narrowed by channel, replayed one by one or by filter, and a replay sends once (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Callable

from aiosmtpd.controller import Controller

from helpdesk_devstack.testing.passports import PassportIssuer
from helpdesk_kit.db import Database
from helpdesk_kit.trust import Mesh
from helpdesk_notify import store

from .drive import drain, mail_worker, use_smtp
from .fakes import Directory, free_port
from .gateway import bearer, gateway

ADMIN = bearer(99, admin=True)


class Mailbox:
    """Refuses every recipient until told otherwise; counts what it takes."""

    def __init__(self) -> None:
        self.refusing = True
        self.got: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        if self.refusing:
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.got += envelope.rcpt_tos
        return "250 OK"


def _mail(n: int) -> store.NewDelivery:
    return store.NewDelivery(
        source_event_id=f"fact-{n}",
        user_id=n,
        channel="email",
        event="ticket.created",
        address=f"u{n}@example.test",
        payload={"subject": f"Ticket #{n}", "text": "t", "html": "<p>h</p>", "headers": {}, "name": ""},
    )


async def test_an_admin_replays_a_dead_letter_through_the_gateway_and_it_is_sent_once(
    db: Database, directory: Directory, mesh: Callable[[str], Mesh], passports: PassportIssuer
) -> None:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        await use_smtp(db, controller.port)
        async with db.unit_of_work() as uow:
            await store.enqueue(uow.conn, [_mail(1), _mail(2), _mail(3)])
            await uow.commit()
        await drain(mail_worker(db))
        async with gateway(db, directory, mesh, passports) as gw:
            listed = (await gw.get("/api/v1/notify/dead-letters?channel=email", headers=ADMIN)).json()
            assert [(d["address"], d["attempts"]) for d in listed["items"]] == [
                ("u3@example.test", 1),
                ("u2@example.test", 1),
                ("u1@example.test", 1),
            ]
            assert all("550" in d["last_error"] for d in listed["items"])
            assert (await gw.get("/api/v1/notify/dead-letters?channel=pushbullet", headers=ADMIN)).json()[
                "items"
            ] == []
            box.refusing = False  # the mailboxes exist now
            one = listed["items"][-1]["id"]
            first = await gw.post(f"/api/v1/notify/dead-letters/{one}/replay", headers=ADMIN)
            again = await gw.post(f"/api/v1/notify/dead-letters/{one}/replay", headers=ADMIN)
            assert (first.json(), again.json()) == ({"replayed": [one]}, {"replayed": []})
            await drain(mail_worker(db))
            rest = await gw.post(
                "/api/v1/notify/dead-letters/replay", json={"channel": "email"}, headers=ADMIN
            )
            assert len(rest.json()["replayed"]) == 2
            await drain(mail_worker(db))
            nothing = await gw.post("/api/v1/notify/dead-letters/replay", json={}, headers=ADMIN)
            member = await gw.post(
                f"/api/v1/notify/dead-letters/{one}/replay", headers=bearer(21, admin=False)
            )
            left = (await gw.get("/api/v1/notify/dead-letters", headers=ADMIN)).json()["items"]
    finally:
        controller.stop()
    assert sorted(box.got) == ["u1@example.test", "u2@example.test", "u3@example.test"]
    assert nothing.status_code == 422 and member.status_code == 403 and left == []
