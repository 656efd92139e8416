"""Mail intake's refusals: one bilingual, automatic reply per key, sent like every mail."""

from __future__ import annotations

import pytest

from helpdesk_kit.db import Database
from helpdesk_notify import usecases
from helpdesk_notify.errors import InvalidSettings

from .drive import drain, mail_worker, use_smtp
from .fakes import SmtpSink


async def refuse(db: Database, key: str = "mb1:7:42", to: str = "stranger@out.example") -> bool:
    return await usecases.queue_auto_reply(
        db=db,
        key=key,
        to_address=to,
        to_name="A Stranger",
        in_reply_to="<abc@out.example>",
        subject="Help me",
        reason="unknown_sender",
        public_url="https://desk.example",
    )


async def test_a_refusal_is_mailed_once_as_an_automatic_reply(db: Database, smtp: SmtpSink) -> None:
    await use_smtp(db, smtp.port)
    assert await refuse(db) is True
    assert await refuse(db) is False  # the same key: nothing queued twice
    await drain(mail_worker(db))
    assert smtp.recipients() == ["stranger@out.example"]
    [(_, mail)] = smtp.messages
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["In-Reply-To"] == "<abc@out.example>" and mail["Subject"] == "Re: Help me"
    assert mail["Message-ID"].endswith("@helpdesk>")
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "registered" in text and "зарегистрированных" in text


async def test_a_refusal_to_a_bad_address_or_for_an_unknown_reason_is_refused(db: Database) -> None:
    with pytest.raises(InvalidSettings):
        await refuse(db, to="not-an-address")
    with pytest.raises(InvalidSettings):
        await usecases.queue_auto_reply(
            db=db,
            key="k",
            to_address="a@b.example",
            to_name="",
            in_reply_to="",
            subject="",
            reason="because",
            public_url="https://desk.example",
        )
