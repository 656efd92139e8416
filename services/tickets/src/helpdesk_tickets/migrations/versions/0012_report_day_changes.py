"""The ticket report's daily aggregate kept by appending, not by updating one row.

Revision ID: 0012
Revises: 0011

Until now every create, finish and reopen added one to its row of ``report_days`` (one
row per UTC day, unit, subject or person): all the tickets filed into one unit on one day
updated the same row, each holding its lock until its transaction committed, so creates
into a busy unit queued behind each other (measured: 32 clients creating into one unit
managed ~40 % of the rate they reach without that row, and PostgreSQL spent twice the CPU
per ticket — bench/RESULTS.md).

Writers now *append* a row to ``report_day_changes``; readers add both tables up (every
report query sums already); the archiver's schedule folds the changes into
``report_days`` (``fold_report_days``). Code that still writes ``report_days`` directly
(an older replica during a rolling update, the ZENLIX import's bulk counts) stays correct.
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE report_day_changes (day date NOT NULL, unit_id bigint NOT NULL,"
        " user_id bigint NOT NULL DEFAULT 0, subject_id bigint NOT NULL DEFAULT 0,"
        " created integer NOT NULL DEFAULT 0, done integer NOT NULL DEFAULT 0,"
        " reopened integer NOT NULL DEFAULT 0)"
    )


def downgrade() -> None:
    op.execute(
        "INSERT INTO report_days (day, unit_id, user_id, subject_id, created, done, reopened)"
        " SELECT day, unit_id, user_id, subject_id, sum(created), sum(done), sum(reopened)"
        " FROM report_day_changes GROUP BY 1, 2, 3, 4"
        " ON CONFLICT (day, unit_id, user_id, subject_id) DO UPDATE SET"
        " created = report_days.created + EXCLUDED.created, done = report_days.done + EXCLUDED.done,"
        " reopened = report_days.reopened + EXCLUDED.reopened"
    )
    op.drop_table("report_day_changes")
