"""The reader against a generated ZENLIX database in a real MariaDB."""

from __future__ import annotations

from collections import Counter

import pytest

from helpdesk_devstack.testing.zenlix import Source
from helpdesk_devstack.zenlix.generator import password_of
from helpdesk_zenlix.reader import Reader, ReaderError
from helpdesk_zenlix.records import Bundle


def _all(reader: Reader, batch: int = 37) -> list[Bundle]:
    return [b for chunk in reader.bundles(batch) for b in chunk]


def test_every_generated_row_is_read_once_and_the_importable_ones_match(zenlix: Source) -> None:
    e = zenlix.expected
    with Reader(zenlix.url) as reader:
        users, rejected_users = reader.users()
        bundles = _all(reader)
    assert len(users) == e.users
    assert len(rejected_users) == e.users_rejected
    tickets = [b for b in bundles if b.ticket is not None]
    assert len(tickets) == e.tickets
    assert sum(len(b.comments) for b in tickets) == e.comments
    assert sum(len(b.log) for b in tickets) == e.history
    rejected = Counter(kind for b in bundles for kind, _, _ in b.rejected)
    assert rejected["comment"] == e.comments_rejected
    assert rejected["history"] == e.history_rejected
    assert len([b for b in bundles if b.problem]) == e.tickets_rejected


def test_broken_tickets_say_why(zenlix: Source) -> None:
    with Reader(zenlix.url) as reader:
        problems = {b.problem for b in _all(reader) if b.problem}
    assert problems == {
        "it has no department",
        "its department does not exist",
        "its author is not a user",
        "it has no creation date",
    }


def test_a_latin1_column_holding_utf8_reads_as_russian(zenlix: Source) -> None:
    with Reader(zenlix.url) as reader:
        bodies = [c.body for b in _all(reader) for c in b.comments]
    assert any("Перезагрузка" in body for body in bodies)
    assert not any("Ð" in body for body in bodies)


def test_users_are_decoded(zenlix: Source) -> None:
    with Reader(zenlix.url) as reader:
        users = {u.id: u for u in reader.users()[0]}
    system = users[1]
    assert (system.login, system.role, system.is_admin, system.unit_ids) == (
        "system",
        "department_head",
        True,
        (1, 2, 3),
    )
    assert users[2].md5 is not None and users[2].is_admin
    import hashlib

    assert users[5].md5 == hashlib.md5(password_of(5).encode()).hexdigest()
    assert any(u.is_client and u.role is None and u.client_group_id for u in users.values())
    assert "Гончаренко Олена" in {u.full_name for u in users.values()}


def test_a_bad_url_or_a_refused_connection_is_a_clear_error(zenlix: Source) -> None:
    with pytest.raises(ReaderError, match="not a MySQL URL"):
        Reader("postgresql://x@y/z")
    with pytest.raises(ReaderError, match="cannot connect"):
        Reader(zenlix.url.replace("zenlix-reader", "wrong-password"))
