"""Each service's migrations form one line: two branches that each added "the next"
migration must be renumbered when they meet, or `migrate` stops with "multiple heads"."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted(ROOT.glob("services/*/src/helpdesk_*/migrations"))


def test_every_service_with_a_database_is_found() -> None:
    assert {p.parents[2].name for p in MIGRATIONS} >= {"identity", "tickets", "sla", "notify"}


@pytest.mark.parametrize("directory", MIGRATIONS, ids=lambda p: p.parents[2].name)
def test_the_migrations_have_one_head_and_no_number_twice(directory: Path) -> None:
    script = ScriptDirectory(str(directory))
    assert len(script.get_heads()) == 1, script.get_heads()
    files = sorted(p.name for p in (directory / "versions").glob("[0-9]*.py"))
    numbers = [name.split("_", 1)[0] for name in files]
    assert len(numbers) == len(set(numbers)), files
    revisions = [r.revision for r in script.walk_revisions()]
    assert sorted(revisions) == sorted(numbers), (revisions, files)
