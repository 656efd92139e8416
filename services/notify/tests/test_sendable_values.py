"""Values that could never be sent are refused where notify takes them in (422 naming the field)."""

from __future__ import annotations

import pytest

from helpdesk_kit.errors import InvalidInput
from helpdesk_notify import usecases

from .fakes import Directory


def _fields(exc: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [e.field for e in exc.value.errors]


@pytest.mark.parametrize(
    "subject", ["Maintenance\nBcc: all@example.test", "Two\rlines", "Tab\there", "Sep\u2028"]
)
async def test_a_mailing_subject_with_a_line_break_or_control_character_is_refused(
    db, directory: Directory, subject: str
) -> None:
    with pytest.raises(InvalidInput) as exc:
        await usecases.create_mailing(
            db=db,
            directory=directory,
            actor_id=99,
            actor_is_admin=True,
            subject_line=subject,
            body="Body\nwith lines is fine.",
            user_ids=[40],
            unit_ids=[],
            roles=[],
            client_group_ids=[],
            public_url="http://hd",
            per_second=0,
        )
    assert _fields(exc) == ["subject"]


@pytest.mark.parametrize("token", ["o.токен", "o.with space", "o.line\nbreak"])
async def test_a_pushbullet_access_token_that_is_not_printable_ascii_is_refused(db, token: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        await usecases.put_pushbullet_settings(
            db=db,
            actor_is_admin=True,
            new=usecases.PushbulletSettings(enabled=True, access_token=token),
            set_access_token=True,
        )
    assert _fields(exc) == ["access_token"]
    assert (await usecases.load_pushbullet_settings(db)).access_token == ""


@pytest.mark.parametrize(
    "address", ["phone 21@example.test", "phöne@example.test", "not@an@address", "dev ice"]
)
async def test_a_pushbullet_address_that_is_neither_an_email_nor_a_device_iden_is_refused(
    db, address: str
) -> None:
    with pytest.raises(InvalidInput) as exc:
        await usecases.update_preferences(db=db, user_id=10, events={}, language=None, pushbullet=address)
    assert _fields(exc) == ["pushbullet"]


async def test_good_pushbullet_addresses_are_kept(db) -> None:
    for address in ("phone21@example.test", "ujpah72o0sjAoRtnM0jc", ""):
        prefs = await usecases.update_preferences(
            db=db, user_id=10, events={}, language=None, pushbullet=f" {address} "
        )
        assert prefs.pushbullet == address


@pytest.mark.parametrize(
    ("field", "value"),
    [("from_address", "helpdesk@@example.test"), ("from_address", "no-at-sign"), ("from_name", "Help\ndesk")],
)
async def test_mail_settings_that_cannot_make_a_header_are_refused(db, field: str, value: str) -> None:
    new = usecases.MailSettings(
        enabled=True, host="smtp.example.test", from_address="helpdesk@example.test"
    ).__dict__ | {field: value}
    with pytest.raises(InvalidInput) as exc:
        await usecases.put_mail_settings(
            db=db, actor_is_admin=True, new=usecases.MailSettings(**new), set_password=True
        )
    assert field in _fields(exc)
