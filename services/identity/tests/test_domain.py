"""A user record's rules without a database."""

from __future__ import annotations

import pytest

from helpdesk_identity.domain import Kind, NewUser, Role
from helpdesk_identity.errors import InvalidUser


def test_a_client_has_no_role_no_unit_and_no_admin_flag() -> None:
    user = NewUser(
        login="client1", full_name="C", kind=Kind.CLIENT, role=Role.UNIT_MEMBER, unit_ids=[1], is_admin=True
    )
    with pytest.raises(InvalidUser) as err:
        user.validate()
    assert {e.field for e in err.value.errors} == {"role", "unit_ids", "is_admin"}


def test_staff_need_a_role_and_fields_are_checked() -> None:
    user = NewUser(
        login="-x", full_name=" ", kind=Kind.STAFF, role=None, unit_ids=[], email="nope", password="short"
    )
    with pytest.raises(InvalidUser) as err:
        user.validate()
    assert {e.field for e in err.value.errors} == {"login", "full_name", "email", "password", "role"}


def test_a_valid_staff_member_passes() -> None:
    NewUser(login="anna.k", full_name="Anna K", kind=Kind.STAFF, role=Role.UNIT_HEAD, unit_ids=[1]).validate()
