"""Posts and comments through the use cases, on a real PostgreSQL: the portal off, writing,
the list (filters, Russian and English search, three orders, pages), votes, moderation,
the per-user limits, and the events each change puts in the outbox."""

from __future__ import annotations

import pytest
from helpdesk.portal.v1 import events_pb2

from helpdesk_kit.db import Database
from helpdesk_kit.errors import InvalidInput
from helpdesk_portal.domain.posts import NewComment, NewPost, PostChange
from helpdesk_portal.domain.viewer import ANONYMOUS
from helpdesk_portal.errors import (
    NotAllowed,
    PortalConflict,
    PortalOff,
    PostNotFound,
    SignInNeeded,
    TooManyPosts,
)
from helpdesk_portal.usecases import comments, posts

from .conftest import ADMIN, CLIENT, OTHER_CLIENT, STAFF, FakeDirectory, outbox, switch


async def write(db: Database, directory: FakeDirectory, who=CLIENT, kind="idea", title="Dark mode", body=""):  # type: ignore[no-untyped-def]
    return await posts.create_post(db=db, directory=directory, viewer=who, new=NewPost(kind, title, body))


async def test_while_the_portal_is_off_nothing_is_read_or_written(
    db: Database, directory: FakeDirectory
) -> None:
    with pytest.raises(PortalOff):
        await posts.list_posts(db=db, viewer=ANONYMOUS)
    with pytest.raises(PortalOff):
        await write(db, directory)
    await switch(db)
    created = await write(db, directory)
    await switch(db, enabled=False)
    with pytest.raises(PortalOff):
        await posts.get_post(db=db, viewer=ADMIN, post_id=created.id)


async def test_a_new_post_starts_new_with_its_authors_name_and_sanitised_markdown(
    on: Database, directory: FakeDirectory
) -> None:
    p = await write(on, directory, body="**Please** <script>alert(1)</script>")
    assert (p.kind, p.status, p.author.name, p.author.is_staff) == ("idea", "new", "Carl Client", False)
    assert "<strong>Please</strong>" in p.html and "<script>" not in p.html
    read = await posts.get_post(db=on, viewer=ANONYMOUS, post_id=p.id)
    assert read.title == "Dark mode" and read.my_vote == 0


async def test_an_anonymous_reader_cannot_write(on: Database, directory: FakeDirectory) -> None:
    with pytest.raises(SignInNeeded):
        await write(on, directory, who=ANONYMOUS)


async def test_search_finds_russian_and_english_words_by_their_stems(
    on: Database, directory: FakeDirectory
) -> None:
    ru = await write(on, directory, title="Принтеры не печатают", body="Все принтеры на третьем этаже")
    en = await write(on, directory, kind="problem", title="Printers are jammed", body="Paper everywhere")
    await write(on, directory, title="Dark mode")
    found = await posts.list_posts(db=on, viewer=ANONYMOUS, q="принтер")
    assert [p.id for p in found.posts] == [ru.id]
    found = await posts.list_posts(db=on, viewer=ANONYMOUS, q="printer jam")
    assert [p.id for p in found.posts] == [en.id]
    found = await posts.list_posts(db=on, viewer=ANONYMOUS, q="ПРИНТЕРАМИ")
    assert [p.id for p in found.posts] == [ru.id]


async def test_filters_by_kind_and_status_and_unknown_ones_are_a_422(
    on: Database, directory: FakeDirectory
) -> None:
    idea = await write(on, directory)
    question = await write(on, directory, kind="question", title="How?")
    assert [p.id for p in (await posts.list_posts(db=on, viewer=ANONYMOUS, kind="question")).posts] == [
        question.id
    ]
    await posts.update_post(
        db=on, directory=directory, viewer=STAFF, post_id=idea.id, change=PostChange(status="planned")
    )
    planned = await posts.list_posts(db=on, viewer=ANONYMOUS, status="planned")
    assert [p.id for p in planned.posts] == [idea.id]
    for bad in ({"kind": "rant"}, {"kind": "idea", "status": "solved"}, {"sort": "oldest"}):
        with pytest.raises(InvalidInput):
            await posts.list_posts(db=on, viewer=ANONYMOUS, **bad)  # type: ignore[arg-type]


async def test_the_three_orders_page_through_every_post_once(on: Database, directory: FakeDirectory) -> None:
    made = [await write(on, directory, title=f"Idea {i}") for i in range(7)]
    for i, p in enumerate(made[:4]):  # likes 0..3 from different users
        for voter in range(i):
            viewer = CLIENT.__class__(user_id=100 + voter, kind="client")
            await posts.vote_post(db=on, viewer=viewer, post_id=p.id, value=1)
    await posts.update_post(
        db=on, directory=directory, viewer=STAFF, post_id=made[0].id, change=PostChange(status="declined")
    )
    await posts.update_post(
        db=on, directory=directory, viewer=STAFF, post_id=made[1].id, change=PostChange(status="in_progress")
    )
    for sort in ("new", "popular", "status"):
        seen: list[int] = []
        cursor = ""
        while True:
            page = await posts.list_posts(db=on, viewer=ANONYMOUS, sort=sort, limit=3, cursor=cursor)
            seen += [p.id for p in page.posts]
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        assert sorted(seen) == sorted(p.id for p in made), sort
        if sort == "new":
            assert seen == sorted(seen, reverse=True)
        if sort == "popular":
            assert seen[:3] == [made[3].id, made[2].id, made[1].id]
        if sort == "status":
            assert seen[-2:] == [made[1].id, made[0].id]  # in progress, then declined, after the new ones
    with pytest.raises(InvalidInput):
        await posts.list_posts(
            db=on, viewer=ANONYMOUS, sort="popular", cursor=page.next_cursor or "bm90IGEgY3Vyc29y"
        )


async def test_one_vote_per_user_which_he_may_change_or_take_back(
    on: Database, directory: FakeDirectory
) -> None:
    p = await write(on, directory)
    for value, expected in ((1, (1, 0, 1)), (1, (1, 0, 1)), (-1, (0, 1, -1)), (0, (0, 0, 0))):
        after = await posts.vote_post(db=on, viewer=OTHER_CLIENT, post_id=p.id, value=value)
        assert (after.likes, after.dislikes, after.my_vote) == expected
    with pytest.raises(InvalidInput):
        await posts.vote_post(db=on, viewer=OTHER_CLIENT, post_id=p.id, value=2)
    with pytest.raises(SignInNeeded):
        await posts.vote_post(db=on, viewer=ANONYMOUS, post_id=p.id, value=1)


async def test_the_author_edits_his_post_but_only_staff_answer_set_the_status_and_hide(
    on: Database, directory: FakeDirectory
) -> None:
    p = await write(on, directory)
    edited = await posts.update_post(
        db=on, directory=directory, viewer=CLIENT, post_id=p.id, change=PostChange(title="Dark mode, please")
    )
    assert edited.title == "Dark mode, please"
    for change in (PostChange(status="planned"), PostChange(answer="Yes"), PostChange(is_hidden=True)):
        with pytest.raises(NotAllowed):
            await posts.update_post(db=on, directory=directory, viewer=CLIENT, post_id=p.id, change=change)
    with pytest.raises(NotAllowed):
        await posts.update_post(
            db=on, directory=directory, viewer=OTHER_CLIENT, post_id=p.id, change=PostChange(title="Mine now")
        )
    answered = await posts.update_post(
        db=on,
        directory=directory,
        viewer=STAFF,
        post_id=p.id,
        change=PostChange(status="planned", answer="In the **next** release"),
    )
    assert answered.status == "planned"
    assert answered.answer is not None and answered.answer.author.name == "Sam Staff"
    assert "<strong>next</strong>" in answered.answer.html


async def test_a_hidden_post_disappears_for_everyone_but_staff(
    on: Database, directory: FakeDirectory
) -> None:
    p = await write(on, directory)
    await posts.update_post(
        db=on, directory=directory, viewer=STAFF, post_id=p.id, change=PostChange(is_hidden=True)
    )
    for who in (ANONYMOUS, CLIENT, OTHER_CLIENT):
        with pytest.raises(PostNotFound):
            await posts.get_post(db=on, viewer=who, post_id=p.id)
        assert (await posts.list_posts(db=on, viewer=who)).posts == []
        with pytest.raises(PostNotFound):
            await comments.add_comment(
                db=on, directory=directory, viewer=CLIENT, post_id=p.id, new=NewComment("hello?")
            )
    assert [x.id for x in (await posts.list_posts(db=on, viewer=STAFF)).posts] == [p.id]


async def test_events_name_who_must_be_told(on: Database, directory: FakeDirectory) -> None:
    await switch(on, notify_user_ids=(2, 3))
    p = await write(on, directory, kind="question", title="Where is the VPN guide?")
    await comments.add_comment(
        db=on, directory=directory, viewer=OTHER_CLIENT, post_id=p.id, new=NewComment("+1")
    )
    await comments.add_comment(
        db=on, directory=directory, viewer=STAFF, post_id=p.id, new=NewComment("Looking")
    )
    await comments.add_comment(
        db=on, directory=directory, viewer=CLIENT, post_id=p.id, new=NewComment("Thanks")
    )
    await posts.update_post(
        db=on, directory=directory, viewer=STAFF, post_id=p.id, change=PostChange(answer="In the KB")
    )
    events = await outbox(on)
    assert [s for s, _ in events] == [
        "portal.PostCreated",
        "portal.PostCommented",
        "portal.PostCommented",
        "portal.PostCommented",
        "portal.PostStatusChanged",  # a new question with an answer is answered
        "portal.PostAnswered",
    ]
    created = events_pb2.PostCreated.FromString(events[0][1])
    assert list(created.notify_user_ids) == [2, 3] and created.post.author_id == CLIENT.user_id
    last = events_pb2.PostCommented.FromString(events[3][1])
    assert (last.actor_id, list(last.previous_commenter_ids)) == (
        CLIENT.user_id,
        [STAFF.user_id, OTHER_CLIENT.user_id],
    )
    changed = events_pb2.PostStatusChanged.FromString(events[4][1])
    assert (changed.previous_status, changed.post.status) == ("new", "answered")


async def test_posting_limits_answer_429_with_the_wait_and_count_per_user(
    on: Database, directory: FakeDirectory
) -> None:
    await switch(on, posts_per_hour=2, comments_per_hour=1)
    p = await write(on, directory)
    await write(on, directory)
    with pytest.raises(TooManyPosts) as err:
        await write(on, directory)
    assert err.value.retry_after is not None and 3500 < err.value.retry_after <= 3601
    await write(on, directory, who=OTHER_CLIENT)  # another user has his own allowance
    await comments.add_comment(db=on, directory=directory, viewer=CLIENT, post_id=p.id, new=NewComment("one"))
    with pytest.raises(TooManyPosts):
        await comments.add_comment(
            db=on, directory=directory, viewer=CLIENT, post_id=p.id, new=NewComment("two")
        )


async def test_comments_read_oldest_first_and_hidden_ones_only_for_staff(
    on: Database, directory: FakeDirectory
) -> None:
    p = await write(on, directory)
    made = [
        await comments.add_comment(
            db=on, directory=directory, viewer=OTHER_CLIENT, post_id=p.id, new=NewComment(f"c{i}")
        )
        for i in range(3)
    ]
    with pytest.raises(NotAllowed):
        await comments.update_comment(db=on, viewer=CLIENT, comment_id=made[1].id, body=None, is_hidden=True)
    with pytest.raises(NotAllowed):
        await comments.update_comment(
            db=on, viewer=CLIENT, comment_id=made[1].id, body="edited", is_hidden=None
        )
    own = await comments.update_comment(
        db=on, viewer=OTHER_CLIENT, comment_id=made[0].id, body="*c0*", is_hidden=None
    )
    assert own.html == "<p><em>c0</em></p>\n"
    await comments.update_comment(db=on, viewer=STAFF, comment_id=made[1].id, body=None, is_hidden=True)
    public = await comments.list_comments(db=on, viewer=ANONYMOUS, post_id=p.id)
    assert [c.body for c in public.comments] == ["*c0*", "c2"]
    assert (await posts.get_post(db=on, viewer=ANONYMOUS, post_id=p.id)).comment_count == 2
    first = await comments.list_comments(db=on, viewer=STAFF, post_id=p.id, limit=2)
    rest = await comments.list_comments(db=on, viewer=STAFF, post_id=p.id, limit=2, cursor=first.next_cursor)
    assert [c.id for c in first.comments + rest.comments] == [c.id for c in made] and rest.next_cursor == ""


async def test_a_post_becomes_one_ticket_at_most_and_only_by_staff(
    on: Database, directory: FakeDirectory
) -> None:
    p = await write(on, directory)
    with pytest.raises(NotAllowed):
        await posts.link_ticket(db=on, viewer=CLIENT, post_id=p.id, ticket_id=5)
    linked = await posts.link_ticket(db=on, viewer=STAFF, post_id=p.id, ticket_id=5)
    assert linked.ticket_id == 5
    assert (await posts.link_ticket(db=on, viewer=ADMIN, post_id=p.id, ticket_id=5)).ticket_id == 5
    with pytest.raises(PortalConflict):
        await posts.link_ticket(db=on, viewer=ADMIN, post_id=p.id, ticket_id=6)


async def test_an_authors_name_is_asked_of_identity_once_in_a_while_not_at_every_post(
    on: Database, directory: FakeDirectory
) -> None:
    for _ in range(3):
        await write(on, directory)
    assert directory.asked == [[CLIENT.user_id]]
