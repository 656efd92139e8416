"""News and the knowledge base through the use cases, on a real PostgreSQL: admins manage
categories and news, staff write articles, each reader finds what its visibility
allows him (lists, search and counts alike), and one helpful vote per user or visitor."""

from __future__ import annotations

import pytest

from helpdesk_kit.db import Database
from helpdesk_kit.errors import InvalidInput
from helpdesk_portal.domain.knowledge import NewArticle
from helpdesk_portal.domain.viewer import ANONYMOUS, Viewer
from helpdesk_portal.errors import ArticleNotFound, NotAllowed, PortalConflict, SignInNeeded
from helpdesk_portal.usecases import kb, news

from .conftest import ADMIN, CLIENT, OTHER_STAFF, STAFF, FakeDirectory


async def category(db: Database, name: str = "Network", parent: int = 0) -> int:
    return (await kb.create_category(db=db, viewer=ADMIN, parent_id=parent, name=name, position=0)).id


async def article(
    db: Database,
    directory: FakeDirectory,
    cat: int,
    title: str,
    visibility: str = "public",
    units=(),
    who=STAFF,
    body="Text",  # type: ignore[no-untyped-def]
):
    new = NewArticle(cat, title, body, visibility, list(units))
    return await kb.create_article(db=db, directory=directory, viewer=who, new=new)


async def test_only_admins_manage_categories_and_a_full_one_is_not_deleted(on: Database) -> None:
    for who in (STAFF, CLIENT):
        with pytest.raises(NotAllowed):
            await kb.create_category(db=on, viewer=who, parent_id=0, name="Mine", position=0)
    with pytest.raises(SignInNeeded):
        await kb.create_category(db=on, viewer=ANONYMOUS, parent_id=0, name="Mine", position=0)
    top = await category(on)
    child = await category(on, "VPN", top)
    with pytest.raises(InvalidInput):  # under its own child
        await kb.update_category(
            db=on, viewer=ADMIN, category_id=top, name=None, parent_id=child, position=None
        )
    with pytest.raises(PortalConflict):
        await kb.delete_category(db=on, viewer=ADMIN, category_id=top)
    await kb.delete_category(db=on, viewer=ADMIN, category_id=child)
    await kb.delete_category(db=on, viewer=ADMIN, category_id=top)
    assert await kb.list_categories(db=on, viewer=ANONYMOUS) == []


async def test_each_reader_finds_only_the_articles_meant_for_him(
    on: Database, directory: FakeDirectory
) -> None:
    cat = await category(on)
    await article(on, directory, cat, "Public VPN guide")
    await article(on, directory, cat, "Clients VPN guide", "clients")
    await article(on, directory, cat, "Staff VPN guide", "staff")
    await article(on, directory, cat, "Unit 2 VPN guide", "staff", units=[2], who=ADMIN)
    readers: dict[str, Viewer] = {
        "anonymous": ANONYMOUS,
        "client": CLIENT,
        "staff": STAFF,
        "other": OTHER_STAFF,
    }
    expected = {
        "anonymous": ["Public VPN guide"],
        "client": ["Clients VPN guide", "Public VPN guide"],
        "staff": ["Clients VPN guide", "Public VPN guide", "Staff VPN guide"],
        "other": ["Clients VPN guide", "Public VPN guide", "Staff VPN guide", "Unit 2 VPN guide"],
    }
    for name, who in readers.items():
        listed = await kb.list_articles(db=on, viewer=who, category_id=cat)
        searched = await kb.list_articles(db=on, viewer=who, q="vpn")
        assert [a.title for a in listed.articles] == expected[name], name
        assert [a.title for a in searched.articles] == expected[name], name
        [counted] = await kb.list_categories(db=on, viewer=who)
        assert counted.article_count == len(expected[name]), name
    hidden = (await kb.list_articles(db=on, viewer=OTHER_STAFF, q="unit")).articles[0]
    with pytest.raises(ArticleNotFound):
        await kb.get_article(db=on, viewer=STAFF, article_id=hidden.id)


async def test_articles_are_searched_in_russian_and_english_and_paged_by_title(
    on: Database, directory: FakeDirectory
) -> None:
    cat = await category(on)
    await article(on, directory, cat, "Настройка почты", body="Как настроить почтовый клиент")
    await article(on, directory, cat, "Mail setup", body="Configuring the mail client")
    for i in range(3):
        await article(on, directory, cat, f"Zeta {i}")
    found = await kb.list_articles(db=on, viewer=ANONYMOUS, q="почтового")
    assert [a.title for a in found.articles] == ["Настройка почты"]
    found = await kb.list_articles(db=on, viewer=ANONYMOUS, q="configured")
    assert [a.title for a in found.articles] == ["Mail setup"]
    first = await kb.list_articles(db=on, viewer=ANONYMOUS, limit=3)
    rest = await kb.list_articles(db=on, viewer=ANONYMOUS, limit=3, cursor=first.next_cursor)
    titles = [a.title for a in first.articles + rest.articles]
    assert titles == sorted(titles) and len(titles) == 5 and rest.next_cursor == ""


async def test_clients_do_not_write_articles_and_only_authors_heads_and_admins_change_them(
    on: Database, directory: FakeDirectory
) -> None:
    cat = await category(on)
    with pytest.raises(NotAllowed):
        await article(on, directory, cat, "By a client", who=CLIENT)
    a = await article(on, directory, cat, "Printers", who=OTHER_STAFF)
    with pytest.raises(NotAllowed):
        await kb.update_article(db=on, viewer=STAFF, article_id=a.id, change=kb.ArticleChange(title="Mine"))
    changed = await kb.update_article(
        db=on, viewer=ADMIN, article_id=a.id, change=kb.ArticleChange(visibility="staff", unit_ids=[2])
    )
    assert (changed.visibility, changed.unit_ids) == ("staff", (2,))
    with pytest.raises(ArticleNotFound):  # no longer for clients: as if it did not exist
        await kb.get_article(db=on, viewer=CLIENT, article_id=a.id)
    await kb.delete_article(db=on, viewer=OTHER_STAFF, article_id=a.id)
    with pytest.raises(ArticleNotFound):
        await kb.get_article(db=on, viewer=ADMIN, article_id=a.id)


async def test_one_helpful_vote_per_user_and_per_visitor_cookie_changeable(
    on: Database, directory: FakeDirectory
) -> None:
    a = await article(on, directory, await category(on), "Reset your password")
    await kb.vote_article(db=on, viewer=CLIENT, article_id=a.id, helpful=True)
    again = await kb.vote_article(db=on, viewer=CLIENT, article_id=a.id, helpful=True)
    assert (again.helpful_yes, again.helpful_no, again.my_vote) == (1, 0, 1)
    visitor = await kb.vote_article(
        db=on, viewer=ANONYMOUS, article_id=a.id, helpful=False, visitor="cookie-1"
    )
    assert (visitor.helpful_yes, visitor.helpful_no, visitor.my_vote) == (1, 1, -1)
    changed = await kb.vote_article(
        db=on, viewer=ANONYMOUS, article_id=a.id, helpful=True, visitor="cookie-1"
    )
    assert (changed.helpful_yes, changed.helpful_no) == (2, 0)
    other = await kb.get_article(db=on, viewer=ANONYMOUS, article_id=a.id, visitor="cookie-2")
    assert other.my_vote == 0
    with pytest.raises(InvalidInput):
        await kb.vote_article(db=on, viewer=ANONYMOUS, article_id=a.id, helpful=True)


async def test_only_admins_write_news_and_everyone_reads_it_newest_first(
    on: Database, directory: FakeDirectory
) -> None:
    with pytest.raises(NotAllowed):
        await news.create_news(
            db=on, directory=directory, viewer=STAFF, title="X", body="Y", attachment_ids=[]
        )
    for i in range(3):
        await news.create_news(
            db=on, directory=directory, viewer=ADMIN, title=f"Release {i}", body="**New**", attachment_ids=[]
        )
    first = await news.list_news(db=on, limit=2)
    rest = await news.list_news(db=on, limit=2, cursor=first.next_cursor)
    assert [n.title for n in first.news + rest.news] == ["Release 2", "Release 1", "Release 0"]
    assert (
        first.news[0].html == "<p><strong>New</strong></p>\n" and first.news[0].author.name == "System Admin"
    )
    edited = await news.update_news(
        db=on, viewer=ADMIN, news_id=first.news[0].id, title="Release 2.1", body=None
    )
    assert edited.title == "Release 2.1"
    await news.delete_news(db=on, viewer=ADMIN, news_id=edited.id)
    assert len((await news.list_news(db=on)).news) == 2
