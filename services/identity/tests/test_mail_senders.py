"""What mail intake asks of identity: senders by address, clients for unknown senders, passports."""

from __future__ import annotations

import asyncio

import pytest
from helpdesk.identity.v1 import identity_pb2 as pb

from helpdesk_identity.usecases.mail_senders import login_candidates
from helpdesk_kit.errors import Forbidden, InvalidInput, NotFound
from helpdesk_kit.tokens import TokenVerifier
from helpdesk_kit.trust import PASSPORT_AUDIENCE, UserClaims

from .conftest import Env


async def test_senders_are_found_by_address_in_any_case(env: Env) -> None:
    member = await env.create_user(login="anna", email="Anna@Example.org")
    mailin = env.as_service("mailin")
    found = await mailin.FindUsersByEmail(pb.FindUsersByEmailRequest(email="anna@EXAMPLE.org"))
    assert [u.id for u in found.users] == [member["id"]]
    nobody = await mailin.FindUsersByEmail(pb.FindUsersByEmailRequest(email="bob@example.org"))
    assert list(nobody.users) == []


async def test_a_mail_client_is_an_active_client_without_a_password(env: Env) -> None:
    mailin = env.as_service("mailin")
    user = await mailin.CreateMailClient(
        pb.CreateMailClientRequest(email="new.person@client.example", full_name="New  Person", language="ru")
    )
    assert user.kind == pb.USER_KIND_CLIENT and user.is_active and not user.is_admin
    assert user.full_name == "New Person" and user.language == "ru"
    assert user.login == "new.person@client.example"
    # Nobody can sign in with a password we chose for him.
    assert (await env.login(user.login, "")).status_code in (401, 422)


async def test_creating_a_mail_client_twice_returns_the_first(env: Env) -> None:
    mailin = env.as_service("mailin")
    request = pb.CreateMailClientRequest(email="twice@client.example")
    first, second = await asyncio.gather(mailin.CreateMailClient(request), mailin.CreateMailClient(request))
    assert first.id == second.id
    again = await mailin.CreateMailClient(pb.CreateMailClientRequest(email="TWICE@client.example"))
    assert again.id == first.id


async def test_a_mail_client_gets_a_free_login_when_the_address_is_a_login_already(env: Env) -> None:
    await env.create_user(login="taken@client.example", kind="client", role=None)
    user = await env.as_service("mailin").CreateMailClient(
        pb.CreateMailClientRequest(email="Taken@client.example")
    )
    # The login is taken by someone else (whose e-mail is empty): the local part is used.
    assert user.login == "Taken" and user.email == "Taken@client.example"


def test_login_candidates_are_valid_logins() -> None:
    assert login_candidates("a+b@x.example")[:2] == ["ab", "ab-2"]
    candidates = login_candidates("+++@x.example")
    assert candidates[0] == "client" and candidates[1] == "client-2"


async def test_a_bad_address_is_refused(env: Env) -> None:
    with pytest.raises(InvalidInput):
        await env.as_service("mailin").CreateMailClient(pb.CreateMailClientRequest(email="not an address"))


async def test_a_passport_is_issued_for_an_active_user_only(env: Env) -> None:
    member = await env.create_user(login="pass", email="pass@example.org")
    mailin = env.as_service("mailin")
    resp = await mailin.IssuePassport(pb.IssuePassportRequest(user_id=member["id"]))
    keys = await mailin.GetVerificationKeys(pb.GetVerificationKeysRequest())
    pems = {k.key_id: k.public_key_pem for k in keys.keys}

    async def fetch() -> dict[str, bytes]:
        return pems

    claims = UserClaims.from_claims(
        await TokenVerifier(fetch, audience=PASSPORT_AUDIENCE).verify(resp.passport)
    )
    assert claims.user_id == member["id"] and claims.role == "unit_member"
    assert resp.passport_ttl_seconds == env.settings.passport_ttl_seconds

    await env.api.delete(f"/api/v1/users/{member['id']}", headers=env.admin)
    with pytest.raises(NotFound):
        await mailin.IssuePassport(pb.IssuePassportRequest(user_id=member["id"]))


async def test_only_mailin_may_issue_passports_or_create_mail_clients(env: Env) -> None:
    gateway = env.as_service("gateway")
    with pytest.raises(Forbidden):
        await gateway.IssuePassport(pb.IssuePassportRequest(user_id=1))
    with pytest.raises(Forbidden):
        await gateway.CreateMailClient(pb.CreateMailClientRequest(email="x@y.example"))
    with pytest.raises(Forbidden):
        await env.as_service("notify").FindUsersByEmail(pb.FindUsersByEmailRequest(email="x@y.example"))
