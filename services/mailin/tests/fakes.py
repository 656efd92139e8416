"""A fake of mailin's own ``Peers`` interface: identity, tickets and notify in memory, with
the behaviours mail intake relies on (visibility by author, idempotency keys per user,
file limits, refusals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from helpdesk_kit.errors import InvalidInput, NotFound
from helpdesk_mailin.domain.mailbox import Account
from helpdesk_mailin.ports import FileRefused, TicketDraft


@dataclass
class FakeTicket:
    id: int
    author_id: int
    draft: TicketDraft
    comments: list[tuple[int, int, str, list[int]]] = field(default_factory=list)  # (id, author, body, files)
    files: list[tuple[int, str, int]] = field(default_factory=list)  # (id, name, size)


@dataclass
class FakePeers:
    users: dict[str, Account] = field(default_factory=dict)
    staff_who_see_all: set[int] = field(default_factory=set)
    tickets: dict[int, FakeTicket] = field(default_factory=dict)
    refusals: dict[str, tuple[str, str]] = field(default_factory=dict)
    comment_files: set[int] = field(default_factory=set)  # files uploaded for a comment
    max_file_bytes: int = 1024 * 1024
    fail_create: AppErrorFactory | None = None
    crash_after_create: bool = False
    _keys: dict[tuple[int, str], int] = field(default_factory=dict)
    _next: int = 100

    def add_user(self, email: str, *, active: bool = True, client: bool = True) -> Account:
        self._next += 1
        account = Account(self._next, active, client, email)
        self.users[email.lower()] = account
        return account

    async def accounts(self, email: str) -> list[Account]:
        found = self.users.get(email.lower())
        return [found] if found else []

    async def create_client(self, email: str, full_name: str) -> Account:
        return self.users.get(email.lower()) or self.add_user(email)

    async def passport(self, user_id: int) -> str:
        return f"passport-{user_id}"

    @staticmethod
    def _user(passport: str) -> int:
        return int(passport.removeprefix("passport-"))

    async def may_see(self, passport: str, ticket_id: int) -> bool:
        t = self.tickets.get(ticket_id)
        user = self._user(passport)
        return t is not None and (t.author_id == user or user in self.staff_who_see_all)

    async def create_ticket(self, passport: str, draft: TicketDraft, key: str) -> int:
        user = self._user(passport)
        if (user, key) in self._keys:
            return self._keys[(user, key)]
        if self.fail_create is not None:
            raise self.fail_create()
        self._next += 1
        self.tickets[self._next] = FakeTicket(self._next, user, draft)
        self._keys[(user, key)] = self._next
        if self.crash_after_create:
            self.crash_after_create = False
            raise Crash()
        return self._next

    async def add_comment(
        self, passport: str, ticket_id: int, body: str, attachment_ids: list[int], key: str
    ) -> int:
        user = self._user(passport)
        if (user, key) in self._keys:
            return self._keys[(user, key)]
        if not await self.may_see(passport, ticket_id):
            raise NotFound("No such ticket.")
        self._next += 1
        self.tickets[ticket_id].comments.append((self._next, user, body, attachment_ids))
        self._keys[(user, key)] = self._next
        return self._next

    async def upload(
        self,
        passport: str,
        ticket_id: int,
        filename: str,
        data: bytes,
        key: str,
        *,
        for_comment: bool = False,
    ) -> int:
        user = self._user(passport)
        if (user, key) in self._keys:
            return self._keys[(user, key)]
        if len(data) > self.max_file_bytes:
            raise FileRefused(f"larger than {self.max_file_bytes} bytes")
        self._next += 1
        self.tickets[ticket_id].files.append((self._next, filename, len(data)))
        if for_comment:
            self.comment_files.add(self._next)
        self._keys[(user, key)] = self._next
        return self._next

    async def refuse(
        self, *, key: str, to_address: str, to_name: str, in_reply_to: str, subject: str, reason: str
    ) -> None:
        self.refusals.setdefault(key, (to_address, reason))


class Crash(BaseException):
    """The process dying: nothing after it runs (not an error mailin could handle)."""


class AppErrorFactory:
    def __call__(self) -> InvalidInput:
        return InvalidInput("The ticket is not valid.")
