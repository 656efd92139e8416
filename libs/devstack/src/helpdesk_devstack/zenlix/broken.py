"""The rows a real ZENLIX collects, added to a generated database: each one is skipped
(or repaired) by the import with a reason, and ``Expected`` says how many."""

from __future__ import annotations

from typing import Any

from helpdesk_devstack.zenlix.generator import MISSING_USER, PNG, ZERO_DATE, Generator, md5


def break_rows(g: Generator, tickets: int, comments: int) -> None:
    """The rows a real ZENLIX collects; each is skipped (or repaired) with a reason."""
    e = g.e
    base = list(g.tickets[0])
    broken_tickets: list[tuple[int, dict[int, Any]]] = [
        (tickets + 1, {7: 0}),  # no department
        (tickets + 2, {7: 999}),  # a department that does not exist
        (tickets + 3, {1: MISSING_USER}),  # an author who is not a user
        (tickets + 4, {3: ZERO_DATE}),  # no creation date
    ]
    for tid, change in broken_tickets:
        row = [*base]
        row[0], row[9] = tid, md5(f"ticket-{tid}")
        for col, value in change.items():
            row[col] = value
        g.tickets.append(tuple(row))
        g.comments.append((comments + tid, tid, 1, b"on a broken ticket", base[3]))
        g.log.append((tid, base[3], "create", 1, "0", 1))
    e.tickets_rejected += len(broken_tickets)
    e.comments_rejected += len(broken_tickets)
    e.history_rejected += len(broken_tickets)
    # A ticket hash used twice (ZENLIX's md5(time()) collides): imported with a new ref.
    # (A ticket without files: files name their ticket by hash, so they would go astray.)
    with_files = {f[1] for f in g.files}
    index = next(i for i in range(1, tickets) if g.tickets[i][9] not in with_files)
    dup = list(g.tickets[index])
    dup[9] = g.tickets[0][9]
    g.tickets[index] = tuple(dup)
    cid = comments + tickets + 100
    g.comments += [
        (cid, 1, MISSING_USER, b"ghost", base[3]),  # author is not a user
        (cid + 1, tickets + 500, 1, b"orphan", base[3]),  # no such ticket
        (cid + 2, 2, 1, b"", base[3]),  # empty
    ]
    e.comments_rejected += 3
    g.log += [(1, base[3], "frobnicate", 1, None, None), (1, ZERO_DATE, "lock", 1, None, None)]
    e.history_rejected += 2
    # Files that cannot come over: never attached, and of a type we refuse.
    g._file(g.tickets[0][9], PNG, "draft.png", "image/png", bound=0)
    e.files_rejected += 1
    g._file(g.tickets[0][9], b"<?php system($_GET['c']); ?>", "shell.php", "application/x-php")
    e.files_ok -= 1
    e.files_unusable += 1
    if g.files_dir is not None:  # one file the disk lost
        missing = g.files[0]
        (g.files_dir / f"{missing[3]}.{missing[6]}").unlink()
        e.files_ok -= 1
        e.files_unusable += 1
