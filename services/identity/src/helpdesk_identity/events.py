"""The facts identity publishes (stream IDENTITY, subjects ``identity.<Event>``)."""

from __future__ import annotations

from helpdesk.identity.v1 import events_pb2

from helpdesk_identity.domain import User
from helpdesk_kit.streams import subject
from helpdesk_kit.timestamps import now_timestamp

SERVICE = "identity"


def user_registered(user: User) -> tuple[str, events_pb2.UserRegistered]:
    return subject(SERVICE, "UserRegistered"), events_pb2.UserRegistered(
        user_id=user.id,
        occurred_at=now_timestamp(),
        email=user.email,
        language=user.language,
    )


def password_reset_requested(user: User) -> tuple[str, events_pb2.PasswordResetRequested]:
    return subject(SERVICE, "PasswordResetRequested"), events_pb2.PasswordResetRequested(
        user_id=user.id,
        occurred_at=now_timestamp(),
        email=user.email,
        language=user.language,
    )
