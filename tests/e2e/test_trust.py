"""Trust between services, tried the way an intruder inside the network would.

Every gRPC method of identity, tickets, sla, notify, mailin and portal is called directly (not
through the gateway) without a certificate, with the certificate of a service the
method does not admit, and — where it acts for a user — without a passport (unless the
method also serves that service for nobody: the portal's public reads), with a forged
one and with an expired one: all refused, and not a row written anywhere.
A member's genuine passport cannot do an administrator's work; a demoted or disabled
user loses his rights at every service within seconds. NATS refuses anonymous
clients and keeps each service to its own subjects; each service's database role
sees its own schema only.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import grpc
import httpx
import jwt
import nats
import nats.errors
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from google.protobuf import descriptor_pool, symbol_database
from google.protobuf.message import Message
from helpdesk.identity.v1 import identity_pb2 as id_pb
from helpdesk.mailin.v1 import mailin_pb2
from helpdesk.notify.v1 import notify_pb2 as n_pb
from helpdesk.ops.v1 import ops_pb2 as ops_pb
from helpdesk.portal.v1 import portal_pb2 as p_pb
from helpdesk.sla.v1 import sla_pb2
from helpdesk.tickets.v1 import tickets_pb2 as t_pb

from helpdesk_devstack.pki import CertificateAuthority
from helpdesk_devstack.stack import Stack
from helpdesk_kit.errors import Forbidden, Unauthenticated
from helpdesk_kit.rpc import channel
from helpdesk_kit.tokens import ISSUER
from helpdesk_kit.trust import PASSPORT_AUDIENCE, Mesh, Rule, acting_for, rules_of

from .conftest import bearer, login

pytestmark = pytest.mark.e2e

SERVICES = {
    "identity": ["helpdesk.identity.v1.Identity", "helpdesk.ops.v1.Ops"],
    "tickets": ["helpdesk.tickets.v1.Tickets", "helpdesk.ops.v1.Ops"],
    "sla": ["helpdesk.sla.v1.Sla", "helpdesk.ops.v1.Ops"],
    "notify": ["helpdesk.notify.v1.Notify", "helpdesk.notify.v1.NotifySettings", "helpdesk.ops.v1.Ops"],
    "mailin": ["helpdesk.mailin.v1.Mailin"],
    "portal": ["helpdesk.portal.v1.Portal", "helpdesk.ops.v1.Ops"],
}
EVERYONE = ("gateway", "identity", "tickets", "sla", "notify", "mailin", "realtime", "portal")


def mesh_of(stack: Stack, service: str) -> Mesh:
    """The identity of ``service`` as the stack issued it (what a stolen certificate gives)."""
    return Mesh(service=service, tls_dir=str(CertificateAuthority(stack.pki).issue(service)))


class Caller:
    """Calls any method of any service directly, as some service, with some passport."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self._channels: dict[tuple[str, str], grpc.aio.Channel] = {}

    def channel(self, target: str, as_: str) -> grpc.aio.Channel:
        key = (target, as_)
        if key not in self._channels:
            self._channels[key] = channel(
                self._stack.grpc_addr(target), service=target, mesh=mesh_of(self._stack, as_), deadline=10
            )
        return self._channels[key]

    async def call(
        self, target: str, method_path: str, request: Message, *, as_: str, passport: str = ""
    ) -> Any:
        ch = self.channel(target, as_)
        method = descriptor_pool.Default().FindMethodByName(method_path.lstrip("/").replace("/", "."))
        output = symbol_database.Default().GetSymbol(method.output_type.full_name)
        with acting_for(passport):
            if method.client_streaming:
                stub = ch.stream_unary(
                    method_path,
                    request_serializer=type(request).SerializeToString,
                    response_deserializer=output.FromString,
                )
                return await _mapped(stub(_once(request), timeout=10))
            if method.server_streaming:
                stub = ch.unary_stream(
                    method_path,
                    request_serializer=type(request).SerializeToString,
                    response_deserializer=output.FromString,
                )
                return [m async for m in _stream_mapped(stub(request, timeout=10))]
            unary = ch.unary_unary(
                method_path,
                request_serializer=type(request).SerializeToString,
                response_deserializer=output.FromString,
            )
            return await unary(request)

    async def close(self) -> None:
        for ch in self._channels.values():
            await ch.close()


async def _once(message: Message) -> AsyncIterator[Message]:
    yield message


async def _mapped(call: Any) -> Any:
    from helpdesk_kit.rpc import translate_rpc_error

    try:
        return await call
    except grpc.aio.AioRpcError as exc:
        raise translate_rpc_error(exc, "stream") from exc


async def _stream_mapped(call: Any) -> AsyncIterator[Any]:
    from helpdesk_kit.rpc import translate_rpc_error

    try:
        async for item in call:
            yield item
    except grpc.aio.AioRpcError as exc:
        raise translate_rpc_error(exc, "stream") from exc


def every_method() -> list[tuple[str, str, Rule, type[Message]]]:
    found = []
    for target, names in SERVICES.items():
        for name in names:
            for path, rule in rules_of(name).items():
                method = descriptor_pool.Default().FindMethodByName(path.lstrip("/").replace("/", "."))
                found.append(
                    (target, path, rule, symbol_database.Default().GetSymbol(method.input_type.full_name))
                )
    return found


async def row_counts(stack: Stack) -> dict[str, int]:
    conn = await asyncpg.connect(stack.database_url)
    try:
        tables = await conn.fetch(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY($1::text[])", list(SERVICES)
        )
        counts = {}
        for t in tables:
            name = f'"{t["schemaname"]}"."{t["tablename"]}"'
            counts[name] = await conn.fetchval(f"SELECT count(*) FROM {name}")
        return counts
    finally:
        await conn.close()


async def settled_row_counts(stack: Stack, *, quiet_for: float = 3.0, within: float = 90.0) -> dict[str, int]:
    """The row counts once earlier tests' events have been consumed: the same two readings
    ``quiet_for`` seconds apart (the stack is shared by the session; a consumer catching up
    on another test's ticket would otherwise look like a write by a refused call)."""
    deadline = time.monotonic() + within
    counts = await row_counts(stack)
    while time.monotonic() < deadline:
        await asyncio.sleep(quiet_for)
        again = await row_counts(stack)
        if again == counts:
            return counts
        counts = again
    raise AssertionError("the stack's consumers did not settle")


def forged_passport(user_id: int = 1) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": PASSPORT_AUDIENCE,
        "sub": str(user_id),
        "iat": now,
        "exp": now + 60,
        "kind": "staff",
        "role": "department_head",
        "adm": True,
        "units": [],
    }
    return jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "made-up"})


def session_of(access_token: str) -> str:
    payload = access_token.split(".")[1]
    return str(orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sid"])


@pytest.fixture
async def caller(stack: Stack) -> AsyncIterator[Caller]:
    c = Caller(stack)
    yield c
    await c.close()


async def passport_for(caller: Caller, access_token: str) -> str:
    """What the gateway gets from identity for this user's session: his current passport."""
    resp = await caller.call(
        "identity",
        "/helpdesk.identity.v1.Identity/CheckSession",
        id_pb.CheckSessionRequest(session_id=session_of(access_token)),
        as_="gateway",
    )
    assert resp.active
    return str(resp.passport)


def make_user(api: httpx.Client, admin_token: str, **fields: Any) -> tuple[dict[str, Any], str]:
    password = "pw-" + str(time.monotonic_ns())
    body = {
        "login": f"u{time.monotonic_ns()}",
        "full_name": "Test User",
        "kind": "staff",
        "role": "unit_member",
        "password": password,
        **fields,
    }
    resp = api.post("/api/v1/users", json=body, headers=bearer(admin_token))
    assert resp.status_code == 201, resp.text
    return resp.json(), login(api, body["login"], password)


async def test_every_method_refuses_callers_that_cannot_prove_who_they_are_or_whom_they_act_for(
    stack: Stack, api: httpx.Client, admin_token: str, caller: Caller
) -> None:
    real_passport = await passport_for(caller, admin_token)
    methods = every_method()
    assert len(methods) > 120  # identity, tickets, sla, notify, mailin and portal: every public method
    before = await settled_row_counts(stack)

    # No certificate of the mesh at all: the connection itself is refused.
    plain_tls = grpc.ssl_channel_credentials(root_certificates=CertificateAuthority(stack.pki).cert_pem)
    for target, path, _, request_type in methods:
        async with grpc.aio.secure_channel(
            stack.grpc_addr(target), plain_tls, options=[("grpc.ssl_target_name_override", target)]
        ) as ch:
            call = ch.unary_unary(path, request_serializer=request_type.SerializeToString)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call(request_type(), timeout=5)
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE, path

    checked = {"outsider": 0, "no passport": 0, "forged": 0}
    for target, path, rule, request_type in methods:
        # A genuine certificate of a service this method does not admit, even with a real passport.
        outsiders = [s for s in EVERYONE if s not in rule.users_via | rule.services]
        assert outsiders, path
        with pytest.raises(Forbidden):
            await caller.call(target, path, request_type(), as_=outsiders[0], passport=real_passport)
        checked["outsider"] += 1
        for via in sorted(rule.users_via):
            if via not in rule.services:  # in both lists, no passport is a call for nobody
                with pytest.raises(Unauthenticated):
                    await caller.call(target, path, request_type(), as_=via)
                checked["no passport"] += 1
            with pytest.raises(Unauthenticated):
                await caller.call(target, path, request_type(), as_=via, passport=forged_passport())
            with pytest.raises(Unauthenticated):
                await caller.call(target, path, request_type(), as_=via, passport=admin_token)
            checked["forged"] += 1
    assert checked["no passport"] > 60, checked

    # An expired passport (identity's own signature, 15 s old): refused too.
    await asyncio.sleep(17)
    for target, path, rule, request_type in methods:
        for via in sorted(rule.users_via):
            with pytest.raises(Unauthenticated):
                await caller.call(target, path, request_type(), as_=via, passport=real_passport)
    assert await row_counts(stack) == before


ADMIN_WORK: list[tuple[str, str, Callable[[dict[str, int]], Message]]] = [
    (
        "identity",
        "/helpdesk.identity.v1.Identity/CreateUser",
        lambda ids: id_pb.CreateUserRequest(
            login="intruder",
            full_name="X",
            kind=id_pb.USER_KIND_STAFF,
            role=id_pb.ROLE_DEPARTMENT_HEAD,
            is_admin=True,
            password="pw-123456789",
        ),
    ),
    (
        "identity",
        "/helpdesk.identity.v1.Identity/CreateUnit",
        lambda ids: id_pb.CreateUnitRequest(name="Evil"),
    ),
    (
        "identity",
        "/helpdesk.identity.v1.Identity/UpdateUser",
        lambda ids: id_pb.UpdateUserRequest(user_id=ids["member"], is_admin=True),
    ),
    (
        "identity",
        "/helpdesk.identity.v1.Identity/DisableUser",
        lambda ids: id_pb.DisableUserRequest(user_id=1),
    ),
    ("identity", "/helpdesk.identity.v1.Identity/GetLdapSettings", lambda ids: id_pb.LdapSettingsRequest()),
    ("tickets", "/helpdesk.tickets.v1.Tickets/PutSettings", lambda ids: t_pb.SettingsRequest()),
    (
        "tickets",
        "/helpdesk.tickets.v1.Tickets/CreateCustomField",
        lambda ids: t_pb.CreateCustomFieldRequest(name="Evil", kind="text"),
    ),
    (
        "tickets",
        "/helpdesk.tickets.v1.Tickets/DeleteTicket",
        lambda ids: t_pb.DeleteTicketRequest(ticket_id=ids["ticket"]),
    ),
    ("sla", "/helpdesk.sla.v1.Sla/CreatePlan", lambda ids: sla_pb2.CreatePlanRequest(name="Evil")),
    (
        "sla",
        "/helpdesk.sla.v1.Sla/CreateCalendar",
        lambda ids: sla_pb2.CreateCalendarRequest(name="Evil", time_zone="UTC"),
    ),
    (
        "notify",
        "/helpdesk.notify.v1.NotifySettings/GetMailSettings",
        lambda ids: n_pb.GetMailSettingsRequest(),
    ),
    (
        "notify",
        "/helpdesk.notify.v1.NotifySettings/PutMailSettings",
        lambda ids: n_pb.PutMailSettingsRequest(settings=n_pb.MailSettings(host="evil.example", port=25)),
    ),
    (
        "notify",
        "/helpdesk.notify.v1.NotifySettings/CreateMailing",
        lambda ids: n_pb.CreateMailingRequest(subject="Evil", body="x", user_ids=[1]),
    ),
    (
        "notify",
        "/helpdesk.notify.v1.NotifySettings/ListDeadLetters",
        lambda ids: n_pb.ListDeadLettersRequest(),
    ),
    ("mailin", "/helpdesk.mailin.v1.Mailin/ListMailboxes", lambda ids: mailin_pb2.ListMailboxesRequest()),
    (
        "mailin",
        "/helpdesk.mailin.v1.Mailin/CreateMailbox",
        lambda ids: mailin_pb2.CreateMailboxRequest(
            mailbox=mailin_pb2.MailboxInput(
                name="Evil", host="imap.evil.example", port=993, security="tls", login="x", unit_id=1
            )
        ),
    ),
    ("mailin", "/helpdesk.mailin.v1.Mailin/ListQuarantine", lambda ids: mailin_pb2.ListQuarantineRequest()),
    (
        "notify",
        "/helpdesk.notify.v1.NotifySettings/ReplayDeadLetters",
        lambda ids: n_pb.ReplayDeadLettersRequest(channel="email"),
    ),
    ("sla", "/helpdesk.ops.v1.Ops/ListParked", lambda ids: ops_pb.ListParkedRequest()),
    (
        "tickets",
        "/helpdesk.ops.v1.Ops/ReplayParked",
        lambda ids: ops_pb.ReplayParkedRequest(filter=ops_pb.ParkedFilter(consumer="tickets-sla")),
    ),
    ("portal", "/helpdesk.portal.v1.Portal/GetSettings", lambda ids: p_pb.GetSettingsRequest()),
    (
        "portal",
        "/helpdesk.portal.v1.Portal/PutSettings",
        lambda ids: p_pb.PutSettingsRequest(settings=p_pb.Settings(enabled=True, max_file_bytes=4096)),
    ),
    (
        "portal",
        "/helpdesk.portal.v1.Portal/CreateNews",
        lambda ids: p_pb.CreateNewsRequest(title="Evil", body="x"),
    ),
    (
        "portal",
        "/helpdesk.portal.v1.Portal/CreateCategory",
        lambda ids: p_pb.CreateCategoryRequest(name="Evil"),
    ),
]


async def test_a_members_genuine_passport_cannot_do_an_administrators_work_whatever_the_request_says(
    stack: Stack, api: httpx.Client, admin_token: str, caller: Caller
) -> None:
    member, member_token = make_user(api, admin_token)
    unit = api.post("/api/v1/units", json={"name": "Trust unit"}, headers=bearer(admin_token)).json()
    ticket = api.post(
        "/api/v1/tickets", json={"subject": "Keep me", "unit_id": unit["id"]}, headers=bearer(member_token)
    ).json()
    passport = await passport_for(caller, member_token)
    ids = {"member": member["id"], "ticket": ticket["id"]}
    before = await settled_row_counts(stack)
    for target, path, request in ADMIN_WORK:
        with pytest.raises(Forbidden):
            await caller.call(target, path, request(ids), as_="gateway", passport=passport)
    assert await row_counts(stack) == before


async def wait_until(check: Callable[[], Any], seconds: float) -> float:
    started = time.monotonic()
    while True:
        if await check():
            return time.monotonic() - started
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        await asyncio.sleep(0.2)


async def test_a_demoted_admin_and_a_disabled_user_lose_their_rights_at_every_service_within_seconds(
    stack: Stack, api: httpx.Client, admin_token: str, caller: Caller
) -> None:
    other, other_token = make_user(api, admin_token, role="department_head", is_admin=True)
    # Through the gateway (which renews its passport at most every 5 s): admin work per service.
    # (method, path, body, what an admin gets).
    probes = [
        ("GET", "/api/v1/settings/ldap", None, 200),
        ("GET", "/api/v1/settings/tickets", None, 200),
        ("POST", "/api/v1/sla-plans", {"name": "Probe"}, 201),
        ("GET", "/api/v1/settings/mail", None, 200),
    ]

    def status(method: str, path: str, body: Any) -> int:
        return api.request(method, path, json=body, headers=bearer(other_token)).status_code

    for method, path, body, ok in probes:
        assert status(method, path, body) == ok, path
    demoted = api.patch(f"/api/v1/users/{other['id']}", json={"is_admin": False}, headers=bearer(admin_token))
    assert demoted.status_code == 200, demoted.text

    # Directly at each service with the passport identity now issues: refused at once.
    passport = await passport_for(caller, other_token)
    for target, path, request in ADMIN_WORK:
        if "Get" in path or "List" in path:
            with pytest.raises(Forbidden):
                await caller.call(
                    target, path, request({"member": 0, "ticket": 0}), as_="gateway", passport=passport
                )

    async def all_refused() -> bool:
        return all(status(method, path, body) == 403 for method, path, body, _ in probes)

    assert await wait_until(all_refused, 7) <= 6.5

    disabled = api.delete(f"/api/v1/users/{other['id']}", headers=bearer(admin_token))
    assert disabled.status_code == 200, disabled.text

    async def signed_out() -> bool:
        return api.get("/api/v1/tickets?box=inbox", headers=bearer(other_token)).status_code == 401

    assert await wait_until(signed_out, 7) <= 6.5
    resp = await caller.call(
        "identity",
        "/helpdesk.identity.v1.Identity/CheckSession",
        id_pb.CheckSessionRequest(session_id=session_of(other_token)),
        as_="gateway",
    )
    assert not resp.active and not resp.passport


async def test_nats_refuses_anonymous_clients_and_keeps_notify_off_the_tickets_stream(stack: Stack) -> None:
    port = stack.nats_url.rsplit(":", 1)[1]
    with pytest.raises((nats.errors.Error, OSError)):
        await nats.connect(f"nats://127.0.0.1:{port}", allow_reconnect=False, connect_timeout=3)

    errors: list[Exception] = []

    async def on_error(exc: Exception) -> None:
        errors.append(exc)

    nc = await nats.connect(
        stack.own_url("notify", "HELPDESK_NATS_URL"), error_cb=on_error, allow_reconnect=False
    )
    try:
        js = nc.jetstream()
        with pytest.raises((nats.errors.Error, asyncio.TimeoutError)):
            await js.publish("tickets.TicketCreated", b"forged", timeout=2)
        await nc.publish("tickets.TicketDeleted", b"forged")
        await nc.flush()
        await asyncio.sleep(0.5)
        assert any("permissions violation" in str(e).lower() for e in errors), errors
        with pytest.raises((nats.errors.Error, asyncio.TimeoutError)):
            await js.delete_stream("TICKETS")
        # What it may do: read the oldest unfinished event of a stream it consumes (its
        # consumer_lag_seconds gauge does; the permission was missing once).
        errors.clear()
        with contextlib.suppress(nats.js.errors.NotFoundError):  # empty when this test runs alone
            await js.get_msg("TICKETS", seq=1, next=True, subject="tickets.>")
        await asyncio.sleep(0.3)
        assert not any("permissions violation" in str(e).lower() for e in errors), errors
    finally:
        await nc.close()
    admin = await nats.connect(stack.nats_url)
    try:
        info = await admin.jetstream().stream_info("TICKETS")
        assert info.config.name == "TICKETS"
    finally:
        await admin.close()


async def test_the_tickets_database_role_cannot_read_identity_users(stack: Stack) -> None:
    conn = await asyncpg.connect(stack.own_url("tickets", "HELPDESK_DATABASE_URL"))
    try:
        assert await conn.fetchval("SELECT count(*) FROM tickets.tickets") >= 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetch("SELECT * FROM identity.users")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE SCHEMA sneaky")
    finally:
        await conn.close()
    url = stack.own_url("tickets", "HELPDESK_DATABASE_URL")
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(url.replace("tickets:", "tickets:wrong", 1))
