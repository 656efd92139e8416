"""One ticket's rows from ZENLIX, decoded and judged: what of it can be imported, and why not.

The reader merges three sorted streams (tickets, comments, log rows) and hands each
ticket's rows here; the decisions made here are the same for every service.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk_zenlix import decode
from helpdesk_zenlix.records import Bundle, Comment, File, LogEntry, Ticket, User


class Peek:
    """A stream of rows sorted by their first column, consumed group by group."""

    def __init__(self, rows: Iterator[tuple[Any, ...]]) -> None:
        self._rows = rows
        self._next: tuple[Any, ...] | None = next(rows, None)

    def _take_while(self, keep: Any) -> list[tuple[Any, ...]]:
        taken = []
        while self._next is not None and keep(self._next[0]):
            taken.append(self._next)
            self._next = next(self._rows, None)
        return taken

    def until(self, key: int) -> list[tuple[Any, ...]]:
        """The rows whose key is below ``key`` (NULL keys included)."""
        return self._take_while(lambda k: k is None or k < key)

    def equal(self, key: int) -> list[tuple[Any, ...]]:
        return self._take_while(lambda k: k == key)

    def rest(self) -> list[tuple[Any, ...]]:
        return self._take_while(lambda k: True)


class Assembler:
    """Decodes one ticket's rows and decides what of it can be imported."""

    def __init__(
        self,
        *,
        users: dict[int, User],
        unit_ids: set[int],
        sources: dict[int, str],
        files: list[File],
        zone: ZoneInfo,
    ) -> None:
        self.users = users
        self.unit_ids = unit_ids
        self.sources = sources
        self.zone = zone
        self._files: dict[str, list[File]] = {}
        for f in files:
            self._files.setdefault(f.ticket_hash, []).append(f)

    def unused_files(self) -> list[File]:
        return [f for group in self._files.values() for f in group]

    def bundle(
        self, row: tuple[Any, ...], comments: list[tuple[Any, ...]], log: list[tuple[Any, ...]]
    ) -> Bundle:
        ticket, problem = self._ticket(row)
        b = Bundle(id=row[0], ticket=ticket, problem=problem)
        files = self._files.pop(decode.text(row[9]).strip(), []) if decode.text(row[9]).strip() else []
        if ticket is None:
            reason = f"its ticket is not imported ({problem})"
            b.rejected += [("comment", c[1], reason) for c in comments]
            b.rejected += [("history", e[1], reason) for e in log]
            b.rejected += [("file", f.id, reason) for f in files]
            return b
        for c in comments:
            self._comment(b, ticket, c)
        for e in log:
            self._log(b, e)
        for f in files:
            if f.bound:
                b.files.append(f)
            else:
                b.rejected.append(("file", f.id, "an upload never attached (obj_type 0)"))
        return b

    def _ticket(self, r: tuple[Any, ...]) -> tuple[Ticket | None, str | None]:
        author = decode.int_or_none(r[1]) or 0
        unit_id = decode.int_or_none(r[7]) or 0
        created = decode.local_time(r[3], self.zone)
        if author not in self.users:
            return None, "its author is not a user"
        if unit_id == 0:
            return None, "it has no department"
        if unit_id not in self.unit_ids:
            return None, "its department does not exist"
        if created is None:
            return None, "it has no creation date"
        notes: list[str] = []
        assignees, bad = decode.id_list(r[2])
        known = [a for a in assignees if a in self.users]
        if bad or len(known) != len(assignees):
            notes.append("assignees that are not users dropped")
        client = decode.int_or_none(r[6]) or None
        if client is not None and client not in self.users:
            notes.append("client that is not a user dropped")
            client = None
        prio = decode.int_or_none(r[13])
        if prio not in decode.PRIORITIES:
            notes.append("unknown priority taken as normal")
        state = decode.ticket_state(status=r[8], arch=r[10], lock_by=decode.int_or_none(r[11]))
        locked = decode.int_or_none(r[11]) or None
        done_by = decode.int_or_none(r[12]) or None
        done_at = decode.local_time(r[14], self.zone)
        if state in ("done", "archived") and done_by is not None and done_by not in self.users:
            notes.append("done by someone who is not a user")
            done_by = None
        if state == "in_work" and locked not in self.users:
            notes.append("locked by someone who is not a user: taken as new")
            state, locked = "new", None
        ref = decode.text(r[9]).strip()
        return (
            Ticket(
                id=r[0],
                ref=ref,
                subject=decode.text(r[4]).strip(),
                body=decode.html_to_text(decode.text(r[5])),
                priority=decode.PRIORITIES.get(prio if prio is not None else 1, "normal"),
                state=state,
                locked_by=locked if state == "in_work" else None,
                done_by=done_by if state in ("done", "archived") else None,
                done_at=(done_at or decode.local_time(r[15], self.zone) or created)
                if state in ("done", "archived")
                else None,
                unit_id=unit_id,
                assignee_ids=tuple(known),
                author_id=author,
                client_id=client,
                created_at=created,
                updated_at=max(decode.local_time(r[15], self.zone) or created, created),
                deadline=decode.local_time(r[16], self.zone),
                sla_plan_id=decode.int_or_none(r[17]) or None,
                source=self.sources.get(r[0], "web"),
                notes=tuple(notes),
            ),
            None,
        )

    def _comment(self, b: Bundle, t: Ticket, r: tuple[Any, ...]) -> None:
        author = decode.int_or_none(r[2]) or 0
        if author not in self.users:
            b.rejected.append(("comment", r[1], "its author is not a user"))
            return
        body, hashes = decode.comment_text(decode.text(r[3]))
        if not body and not hashes:
            b.rejected.append(("comment", r[1], "empty"))
            return
        created = decode.local_time(r[4], self.zone) or t.created_at
        b.comments.append(
            Comment(
                id=r[1], ticket_id=t.id, author_id=author, body=body, file_hashes=hashes, created_at=created
            )
        )

    def _log(self, b: Bundle, r: tuple[Any, ...]) -> None:
        code = decode.text(r[3]).strip()
        action = decode.LOG_ACTIONS.get(code)
        at = decode.local_time(r[2], self.zone)
        actor = decode.int_or_none(r[4]) or 0
        if action is None:
            b.rejected.append(("history", r[1], f"unknown action {code[:40]!r}"))
        elif at is None:
            b.rejected.append(("history", r[1], "it has no date"))
        elif actor and actor not in self.users:
            b.rejected.append(("history", r[1], "its actor is not a user"))
        else:
            to_users, _ = decode.id_list(r[5])
            b.log.append(
                LogEntry(
                    id=r[1],
                    ticket_id=b.id,
                    at=at,
                    actor_id=actor,
                    action=action,
                    code=code,
                    to_user_ids=tuple(u for u in to_users if u in self.users),
                    to_unit_id=decode.int_or_none(r[6]) or None,
                )
            )
