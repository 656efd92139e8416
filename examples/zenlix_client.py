#!/usr/bin/env python3
"""A ZENLIX 2 integration, written the way they were: a monitoring system that files a
ticket when something breaks and then follows it, speaking ZENLIX's JSON API with plain
HTTP POSTs (``mode`` plus ZENLIX's fields, JSON labelled as a form as ``curl -d`` sends
it) and nothing but the standard library. It runs unchanged against ZENLIX 2 and against
Helpdesk's ``/api`` (docs/zenlix-api.md); tests/zenlix_api/test_example_client.py runs it.

    python3 examples/zenlix_client.py BASE_URL LOGIN PASSWORD CLIENT_LOGIN UNIT_NAME

LOGIN/PASSWORD: the staff account the monitoring signs in as; CLIENT_LOGIN: whom the
ticket is about; UNIT_NAME: the department that gets it. Exits 1 at the first answer
whose ``status`` is not ``ok``.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from typing import Any


class ZenlixError(Exception):
    pass


def call(base_url: str, **fields: Any) -> Any:
    """One POST to ZENLIX's api.php; the answer's single object (or auth's bare one)."""
    request = urllib.request.Request(
        base_url.rstrip("/") + "/api.php",
        data=json.dumps(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
    if not body:  # reset_token answers nothing
        return None
    answer = json.loads(body)
    item = answer[0] if isinstance(answer, list) else answer
    if item.get("status") != "ok":
        raise ZenlixError(f"{fields['mode']}: {item.get('error_description')}")
    return item


def main(base_url: str, login: str, password: str, client_login: str, unit_name: str) -> None:
    me = call(base_url, mode="auth", login=login, **{"pass": password})
    key = me["uniq_id"]
    print(f"signed in as {me['fio']} ({me['name_only']})")

    units = call(base_url, mode="get_unit_list", uniq_id=key)["list"]
    unit_id = next(u["id"] for u in units if u["name"] == unit_name)
    people = call(base_url, mode="get_users_list", uniq_id=key, find_param=client_login)["users"]
    client_hash = people[0]["uniq_id"]

    created = call(
        base_url,
        mode="create_ticket",
        uniq_id=key,
        user_to_id="0",
        subj="disk /var is 95% full",
        msg="host db-2: /var at 95%, growing 1% an hour",
        client_id=client_hash,
        unit_id=unit_id,
        prio="2",
    )
    ticket_hash = created["ticket_hash"]
    print(f"filed ticket #{created['ticket_id']} ({ticket_hash})")

    inbox = call(base_url, mode="ticket_list", uniq_id=key, type="in")["tickets"]
    listed = next(t for t in inbox if t["ticket_hash"] == ticket_hash)
    print(f"in the inbox: #{listed['id_ticket']} {listed['subj']!r}", end=" ")
    print(f"status={listed['status']} prio={listed['prio']}")

    call(base_url, mode="add_ticket_comment", uniq_id=key, ticket_hash=ticket_hash, msg="now at 97%")
    comments = call(base_url, mode="get_ticket_comments", uniq_id=key, ticket_hash=ticket_hash)["comments"]
    print(f"comments: {len(comments)}, last: {comments[-1]['text']!r}")

    lock = call(base_url, mode="ticket_lock", uniq_id=key, ticket_hash=ticket_hash)
    print(f"locked: was {lock['status_ticket']}, may now {lock['access_priv']}")
    done = call(base_url, mode="ticket_ok", uniq_id=key, ticket_hash=ticket_hash)
    print(f"done: was {done['status_ticket']}, may now {done['access_priv']}")

    [ticket] = call(base_url, mode="ticket_view", uniq_id=key, ticket_hash=ticket_hash)["ticket"]
    print(f"ticket #{ticket['id_ticket']} is {ticket['status']} since {ticket['ok_date']}")


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    try:
        main(*sys.argv[1:])
    except ZenlixError as exc:
        print(f"ZENLIX said no: {exc}", file=sys.stderr)
        sys.exit(1)
