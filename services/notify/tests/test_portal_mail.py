"""Portal events end to end inside notify: a fact from the PORTAL stream in, mails out to a
real SMTP server (aiosmtpd), in each recipient's language, with a link to the post."""

from __future__ import annotations

from helpdesk.portal.v1 import events_pb2 as p

from helpdesk_kit.db import Database
from helpdesk_notify import usecases
from helpdesk_notify.consumers import portal_routes
from helpdesk_notify.domain import EVENTS

from .drive import consume, drain, mail_worker, use_smtp
from .fakes import Directory, SmtpSink

AUTHOR = 40


def mailboxes(*ids: int) -> list[str]:
    return sorted(f"u{i}@example.test" for i in ids)


def post(**kw: object) -> p.PostFacts:
    base: dict[str, object] = {
        "id": 5,
        "kind": "idea",
        "title": "Dark mode",
        "status": "new",
        "author_id": AUTHOR,
    }
    return p.PostFacts(**(base | kw))  # type: ignore[arg-type]


async def run(db: Database, smtp: SmtpSink, directory: Directory, message: object) -> list[str]:
    await use_smtp(db, smtp.port)
    await consume(db, portal_routes(directory), message)  # type: ignore[arg-type]
    await drain(mail_worker(db))
    return smtp.recipients()


async def test_a_comment_mails_the_author_and_earlier_commenters_once_each_but_not_the_commenter(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    got = await run(
        db,
        smtp,
        directory,
        p.PostCommented(
            actor_id=41, post=post(), comment_body="Me too", previous_commenter_ids=[12, 41, 12, 21]
        ),
    )
    assert got == mailboxes(AUTHOR, 12, 21)
    mail = smtp.messages[0][1]
    assert mail["Subject"] == "Portal: Dark mode — new comment"
    assert mail["References"] == "<portal-post-5@helpdesk>"
    text = mail.get_body(preferencelist=("plain",))
    assert text is not None
    assert "http://localhost:8080/portal/posts/5" in text.get_content() and "Me too" in text.get_content()


async def test_a_new_post_mails_the_staff_the_settings_chose(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    got = await run(
        db, smtp, directory, p.PostCreated(actor_id=AUTHOR, post=post(), notify_user_ids=[10, 11])
    )
    assert got == mailboxes(10, 11)
    subjects = {rcpts[0]: m["Subject"] for rcpts, m in smtp.messages}
    assert subjects["u11@example.test"] == "Портал: Dark mode — новая запись"  # 11 reads Russian


async def test_a_status_change_mails_the_author_the_new_status_in_his_language(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    got = await run(
        db,
        smtp,
        directory,
        p.PostStatusChanged(actor_id=10, post=post(status="planned", author_id=11), previous_status="new"),
    )
    assert got == mailboxes(11)
    text = smtp.messages[0][1].get_body(preferencelist=("plain",))
    assert text is not None and "Статус: Запланировано" in text.get_content()


async def test_an_official_answer_mails_the_author_and_pops_up_for_him(
    db: Database, smtp: SmtpSink, directory: Directory
) -> None:
    got = await run(db, smtp, directory, p.PostAnswered(actor_id=10, post=post(), answer="Next release"))
    assert got == mailboxes(AUTHOR)
    [popup] = await usecases.list_popups(db=db, user_id=AUTHOR, limit=10, before_id=None)
    assert (popup.event, popup.title, popup.body) == (
        "portal.answered",
        "Portal: Dark mode — official answer",
        "Dark mode",
    )


def test_every_portal_event_can_be_chosen_in_the_preferences() -> None:
    assert {"portal.posted", "portal.commented", "portal.status_changed", "portal.answered"} <= set(EVENTS)
