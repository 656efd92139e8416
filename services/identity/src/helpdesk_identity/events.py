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


def session_revoked(
    user_id: int, session_ids: list[str], reason: str
) -> tuple[str, events_pb2.SessionRevoked]:
    return subject(SERVICE, "SessionRevoked"), events_pb2.SessionRevoked(
        user_id=user_id, session_ids=session_ids, occurred_at=now_timestamp(), reason=reason
    )


def api_token_revoked(
    user_id: int, token_ids: list[int], reason: str
) -> tuple[str, events_pb2.ApiTokenRevoked]:
    return subject(SERVICE, "ApiTokenRevoked"), events_pb2.ApiTokenRevoked(
        user_id=user_id, token_ids=token_ids, occurred_at=now_timestamp(), reason=reason
    )


def user_changed(user: User) -> tuple[str, events_pb2.UserChanged]:
    return subject(SERVICE, "UserChanged"), events_pb2.UserChanged(
        user_id=user.id, is_active=user.is_active, occurred_at=now_timestamp()
    )
