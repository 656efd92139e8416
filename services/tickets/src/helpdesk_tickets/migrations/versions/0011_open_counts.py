"""Counts of open tickets kept by the database, for the counters of "every open ticket".

Revision ID: 0011
Revises: 0010

A department head's dashboard counters cover every open ticket: counting them per request
read 300,000 index entries at a million tickets. ``open_counts`` holds how many open
tickets (new, in work) there are per unit, state and SLA state ('' for none yet);
``open_count_changes`` holds what changed since it was last folded into it. A trigger
on ``tickets`` writes the changes in the transaction of the write, so no write path
(lifecycle, forwarding, SLA verdicts, archiving, deleting, imports) can forget them.

Why two tables: writers only *append* rows to ``open_count_changes``, so many tickets
created in one unit at once never wait on one counter row (an UPDATE of a counter would
hold its row lock until the creating transaction commits). Readers add both tables up;
``fold_open_counts`` (the archiver's schedule) moves the changes into ``open_counts``.

The triggers are per statement, with transition tables: a statement touching many rows
(an import batch, the archiver) writes one change row per (unit, state, SLA state) it
moved, and an UPDATE that moves nothing (comments, edits) writes none.

The migration fills ``open_counts`` in its transaction after creating the triggers: their
creation locks out writers until it commits, so no ticket is counted twice or missed.
``tickets_mine_idx`` serves "in work and locked by me" without the per-unit index.
"""

from alembic import op

from helpdesk_kit.migrations import create_index_concurrently

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OPEN = "state IN ('new', 'in_work')"
KEY = "unit_id, state, COALESCE(sla_state, '')"

# One function for the three triggers: each names its transition tables new_rows/old_rows.
FUNCTION = f"""
CREATE FUNCTION tickets_count_open() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO open_count_changes (unit_id, state, sla_state, n)
        SELECT {KEY}, count(*) FROM new_rows WHERE {OPEN} GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO open_count_changes (unit_id, state, sla_state, n)
        SELECT {KEY}, -count(*) FROM old_rows WHERE {OPEN} GROUP BY 1, 2, 3;
    ELSE
        INSERT INTO open_count_changes (unit_id, state, sla_state, n)
        SELECT unit_id, state, sla_state, sum(n) FROM (
            SELECT {KEY} AS sla_state, 1 AS n FROM new_rows WHERE {OPEN}
            UNION ALL
            SELECT {KEY}, -1 FROM old_rows WHERE {OPEN}
        ) moved GROUP BY unit_id, state, sla_state HAVING sum(n) <> 0;
    END IF;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.execute(
        "CREATE TABLE open_counts (unit_id bigint NOT NULL, state text NOT NULL,"
        " sla_state text NOT NULL, n bigint NOT NULL, PRIMARY KEY (unit_id, state, sla_state))"
    )
    op.execute(
        "CREATE TABLE open_count_changes (unit_id bigint NOT NULL, state text NOT NULL,"
        " sla_state text NOT NULL, n bigint NOT NULL)"
    )
    op.execute(FUNCTION)
    for event, tables in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        op.execute(
            f"CREATE TRIGGER tickets_count_open_{event.lower()} AFTER {event} ON tickets"
            f" REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION tickets_count_open()"
        )
    # CREATE TRIGGER already holds this lock; said explicitly because the fill relies on it:
    # no ticket write may commit between the fill's snapshot and the triggers taking over.
    op.execute("LOCK TABLE tickets IN SHARE ROW EXCLUSIVE MODE")
    op.execute(
        f"INSERT INTO open_counts (unit_id, state, sla_state, n)"
        f" SELECT {KEY}, count(*) FROM tickets WHERE {OPEN} GROUP BY 1, 2, 3"
    )
    create_index_concurrently("tickets_mine_idx", "tickets", ["locked_by"], where="state = 'in_work'")


def downgrade() -> None:
    op.drop_index("tickets_mine_idx", "tickets")
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER tickets_count_open_{event} ON tickets")
    op.execute("DROP FUNCTION tickets_count_open()")
    op.drop_table("open_count_changes")
    op.drop_table("open_counts")
