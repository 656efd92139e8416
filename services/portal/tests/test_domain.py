"""The portal's rules without a database: statuses, who may do what, who reads an article."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from helpdesk_portal.domain import knowledge
from helpdesk_portal.domain import posts as rules
from helpdesk_portal.domain.knowledge import Article
from helpdesk_portal.domain.posts import Author, NewPost, Post, PostChange
from helpdesk_portal.domain.viewer import ANONYMOUS, Viewer

from .conftest import ADMIN, CLIENT, OTHER_CLIENT, OTHER_STAFF, STAFF

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def post(kind: str = "idea", author: int = CLIENT.user_id, **kw: object) -> Post:
    return Post(
        id=1,
        kind=kind,
        status="new",
        title="T",
        body="B",
        html="<p>B</p>",
        author=Author(author, "A", False),
        created_at=NOW,
        updated_at=NOW,
        **kw,  # type: ignore[arg-type]
    )


def article(visibility: str, unit_ids: tuple[int, ...] = (), author: int = STAFF.user_id) -> Article:
    return Article(1, 1, "T", "B", "", visibility, unit_ids, Author(author, "A", True), NOW, NOW)


def test_every_kind_starts_new_and_every_status_has_a_rank() -> None:
    for kind, statuses in rules.STATUSES.items():
        assert statuses[0] == "new", kind
        assert all(s in rules.STATUS_RANK for s in statuses)
    assert rules.STATUS_RANK["new"] < rules.STATUS_RANK["in_progress"] < rules.STATUS_RANK["declined"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (ANONYMOUS, []),
        (OTHER_CLIENT, ["comment", "like"]),
        (CLIENT, ["comment", "like", "edit"]),
        (STAFF, ["comment", "like", "edit", "answer", "set_status", "hide", "link_ticket"]),
    ],
)
def test_what_each_reader_may_do_with_a_clients_post(who: Viewer, expected: list[str]) -> None:
    assert rules.post_actions(who, post()) == expected


def test_a_post_made_a_ticket_cannot_be_made_one_again() -> None:
    assert "link_ticket" not in rules.post_actions(STAFF, post(ticket_id=7))


def test_a_hidden_post_is_read_by_staff_only_not_even_by_its_author() -> None:
    hidden = post(is_hidden=True)
    assert rules.can_read_post(STAFF, hidden)
    assert not rules.can_read_post(CLIENT, hidden)
    assert not rules.can_read_post(ANONYMOUS, hidden)


def test_a_change_asks_only_for_the_rights_of_what_it_changes() -> None:
    p = post()
    assert PostChange(title="T", body="B").needs(p) == set()
    assert PostChange(title="New").needs(p) == {"edit"}
    assert PostChange(status="planned", answer="Soon", is_hidden=False).needs(p) == {"set_status", "answer"}


def test_a_status_must_belong_to_the_posts_kind() -> None:
    _, errors = PostChange(status="solved").checked(post("idea"))
    assert [e.field for e in errors] == ["status"]
    _, errors = PostChange(status="solved").checked(post("problem"))
    assert errors == []


def test_an_official_answer_to_a_new_question_marks_it_answered_but_not_an_idea() -> None:
    assert rules.status_after_answer(post("question"), answered=True) == "answered"
    assert rules.status_after_answer(post("idea"), answered=True) == "new"
    assert rules.status_after_answer(post("question"), answered=False) == "new"


def test_a_new_post_needs_a_known_kind_and_a_title_and_keeps_limits() -> None:
    _, errors = NewPost("rant", "  ", "x" * (rules.MAX_BODY + 1), list(range(1, 13))).checked()
    assert sorted(e.field for e in errors) == ["attachment_ids", "body", "kind", "title"]
    checked, errors = NewPost("idea", "  Dark mode  ", "", [3, 3]).checked()
    assert errors == [] and checked.title == "Dark mode" and checked.attachment_ids == [3]


@pytest.mark.parametrize(
    ("visibility", "units", "readers"),
    [
        ("public", (), {"anonymous", "client", "staff", "other staff", "admin"}),
        ("clients", (), {"client", "staff", "other staff", "admin"}),
        ("staff", (), {"staff", "other staff", "admin"}),
        ("staff", (1,), {"staff", "admin"}),
        ("staff", (2,), {"staff", "other staff", "admin"}),  # staff (2) wrote it
    ],
)
def test_who_reads_an_article(visibility: str, units: tuple[int, ...], readers: set[str]) -> None:
    who = {
        "anonymous": ANONYMOUS,
        "client": CLIENT,
        "staff": STAFF,
        "other staff": OTHER_STAFF,
        "admin": ADMIN,
    }
    a = article(visibility, units)
    assert {name for name, v in who.items() if knowledge.can_read_article(v, a)} == readers


def test_only_the_author_department_heads_and_admins_change_an_article() -> None:
    a = article("public", author=OTHER_STAFF.user_id)
    assert knowledge.article_actions(OTHER_STAFF, a) == ["edit", "delete"]
    assert knowledge.article_actions(ADMIN, a) == ["edit", "delete"]
    assert knowledge.article_actions(STAFF, a) == []
    assert knowledge.article_actions(CLIENT, a) == []


def test_a_category_tree_refuses_cycles_and_counts_depth() -> None:
    parents: dict[int, int | None] = {1: None, 2: 1, 3: 2}
    assert knowledge.depth_below(parents, None) == 1
    assert knowledge.depth_below(parents, 3) == 4
    assert knowledge.depth_below(parents, 3, moving=1) == -1  # 1 under its grandchild


def test_units_narrow_only_articles_for_staff() -> None:
    errors: list[object] = []
    knowledge.checked_audience("public", [1], errors)  # type: ignore[arg-type]
    assert errors
    errors = []
    assert knowledge.checked_audience("staff", [2, 1, 2], errors) == (1, 2)  # type: ignore[arg-type]
    assert errors == []


def test_settings_refuse_content_types_that_are_not_printable_text() -> None:
    from helpdesk_portal.domain.settings import PortalSettings

    assert [e.field for e in PortalSettings(allowed_types=("image/png\x00",)).problems()] == ["allowed_types"]
    assert PortalSettings().problems() == []
