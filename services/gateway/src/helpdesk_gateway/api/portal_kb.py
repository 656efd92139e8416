"""REST for the portal's news and knowledge base. Anonymous readers' "was this helpful"
votes are told apart by a cookie the gateway sets (``helpdesk_visitor``: random, HttpOnly,
only sent to the knowledge base's routes); signed-in users vote as themselves."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Query, Request, Response
from helpdesk.portal.v1 import portal_pb2 as pb
from pydantic import Field

from helpdesk_gateway.api.models.portal import (
    KbArticle,
    KbArticleList,
    KbCategory,
    KbCategoryList,
    NewsItem,
    NewsList,
    Visibility,
)
from helpdesk_gateway.api.shapes import Strict, api_router, clients
from helpdesk_gateway.api.values import LINE, Id, IdOrZero, IdPath, IdQuery, line, text
from helpdesk_gateway.auth import CallerDep, ViewerDep

router = api_router()

VISITOR_COOKIE = "helpdesk_visitor"
VISITOR_PATH = "/api/v1/portal/kb"
FileIds = Annotated[list[Id], Field(max_length=10)]
UnitIds = Annotated[list[Id], Field(max_length=100, description="staff articles: only these units")]
Cursor = Annotated[str | None, Query(max_length=500, pattern=LINE)]
Limit = Annotated[int, Query(ge=1, le=200)]
Position = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]


class NewsIn(Strict):
    title: str = line(200, min_length=1)
    body: str = text(50_000, min_length=1, description="Markdown")
    attachment_ids: FileIds = []


class NewsPatch(Strict):
    title: str | None = line(200, min_length=1, default=None)
    body: str | None = text(50_000, min_length=1, default=None)


class CategoryIn(Strict):
    name: str = line(100, min_length=1)
    parent_id: Id | None = None
    position: Position = 0


class CategoryPatch(Strict):
    name: str | None = line(100, min_length=1, default=None)
    parent_id: IdOrZero | None = Field(default=None, description="0 = top level")
    position: Position | None = None


class ArticleIn(Strict):
    category_id: Id
    title: str = line(200, min_length=1)
    body: str = text(100_000, min_length=1, description="Markdown")
    visibility: Visibility = "public"
    unit_ids: UnitIds = []
    attachment_ids: FileIds = []


class ArticlePatch(Strict):
    category_id: Id | None = None
    title: str | None = line(200, min_length=1, default=None)
    body: str | None = text(100_000, min_length=1, default=None)
    visibility: Visibility | None = None
    unit_ids: UnitIds | None = None


class HelpfulIn(Strict):
    helpful: bool


def _visitor(request: Request) -> str:
    return request.cookies.get(VISITOR_COOKIE, "")[:100]


# ---- news -------------------------------------------------------------------------


@router.get("/portal/news")
async def list_news(
    viewer: ViewerDep, request: Request, limit: Limit = 50, cursor: Cursor = None
) -> NewsList:
    resp = await clients(request).portal.ListNews(pb.ListNewsRequest(limit=limit, cursor=cursor or ""))
    return NewsList.of(items=[NewsItem.from_pb(n) for n in resp.news], next_cursor=resp.next_cursor or None)


@router.post("/portal/news", status_code=201)
async def create_news(body: NewsIn, caller: CallerDep, request: Request) -> NewsItem:
    item = await clients(request).portal.CreateNews(
        pb.CreateNewsRequest(title=body.title, body=body.body, attachment_ids=body.attachment_ids)
    )
    return NewsItem.from_pb(item)


@router.get("/portal/news/{news_id}")
async def get_news(news_id: IdPath, viewer: ViewerDep, request: Request) -> NewsItem:
    return NewsItem.from_pb(await clients(request).portal.GetNews(pb.NewsRequest(news_id=news_id)))


@router.patch("/portal/news/{news_id}")
async def update_news(news_id: IdPath, body: NewsPatch, caller: CallerDep, request: Request) -> NewsItem:
    item = await clients(request).portal.UpdateNews(
        pb.UpdateNewsRequest(news_id=news_id, title=body.title, body=body.body)
    )
    return NewsItem.from_pb(item)


@router.delete("/portal/news/{news_id}", status_code=204)
async def delete_news(news_id: IdPath, caller: CallerDep, request: Request) -> None:
    await clients(request).portal.DeleteNews(pb.NewsRequest(news_id=news_id))


# ---- categories -------------------------------------------------------------------


@router.get("/portal/kb/categories")
async def list_categories(viewer: ViewerDep, request: Request) -> KbCategoryList:
    resp = await clients(request).portal.ListCategories(pb.ListCategoriesRequest())
    return KbCategoryList.of(items=[KbCategory.from_pb(c) for c in resp.categories], next_cursor=None)


@router.post("/portal/kb/categories", status_code=201)
async def create_category(body: CategoryIn, caller: CallerDep, request: Request) -> KbCategory:
    c = await clients(request).portal.CreateCategory(
        pb.CreateCategoryRequest(parent_id=body.parent_id or 0, name=body.name, position=body.position)
    )
    return KbCategory.from_pb(c)


@router.patch("/portal/kb/categories/{category_id}")
async def update_category(
    category_id: IdPath, body: CategoryPatch, caller: CallerDep, request: Request
) -> KbCategory:
    c = await clients(request).portal.UpdateCategory(
        pb.UpdateCategoryRequest(
            category_id=category_id, name=body.name, parent_id=body.parent_id, position=body.position
        )
    )
    return KbCategory.from_pb(c)


@router.delete("/portal/kb/categories/{category_id}", status_code=204)
async def delete_category(category_id: IdPath, caller: CallerDep, request: Request) -> None:
    await clients(request).portal.DeleteCategory(pb.CategoryRequest(category_id=category_id))


# ---- articles ---------------------------------------------------------------------


@router.get("/portal/kb/articles")
async def list_articles(
    viewer: ViewerDep,
    request: Request,
    category_id: IdQuery = None,
    q: Annotated[str | None, Query(max_length=500, pattern=LINE)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> KbArticleList:
    resp = await clients(request).portal.ListArticles(
        pb.ListArticlesRequest(category_id=category_id or 0, q=q or "", limit=limit, cursor=cursor or "")
    )
    return KbArticleList.of(
        items=[KbArticle.from_pb(a) for a in resp.articles], next_cursor=resp.next_cursor or None
    )


@router.post("/portal/kb/articles", status_code=201)
async def create_article(body: ArticleIn, caller: CallerDep, request: Request) -> KbArticle:
    a = await clients(request).portal.CreateArticle(
        pb.CreateArticleRequest(
            category_id=body.category_id,
            title=body.title,
            body=body.body,
            visibility=body.visibility,
            unit_ids=body.unit_ids,
            attachment_ids=body.attachment_ids,
        )
    )
    return KbArticle.from_pb(a)


@router.get("/portal/kb/articles/{article_id}")
async def get_article(article_id: IdPath, viewer: ViewerDep, request: Request) -> KbArticle:
    a = await clients(request).portal.GetArticle(
        pb.ArticleRequest(article_id=article_id, visitor=_visitor(request))
    )
    return KbArticle.from_pb(a)


@router.patch("/portal/kb/articles/{article_id}")
async def update_article(
    article_id: IdPath, body: ArticlePatch, caller: CallerDep, request: Request
) -> KbArticle:
    a = await clients(request).portal.UpdateArticle(
        pb.UpdateArticleRequest(
            article_id=article_id,
            category_id=body.category_id,
            title=body.title,
            body=body.body,
            visibility=body.visibility,
            unit_ids=body.unit_ids or [],
            set_unit_ids=body.unit_ids is not None,
        )
    )
    return KbArticle.from_pb(a)


@router.delete("/portal/kb/articles/{article_id}", status_code=204)
async def delete_article(article_id: IdPath, caller: CallerDep, request: Request) -> None:
    await clients(request).portal.DeleteArticle(pb.ArticleRequest(article_id=article_id))


@router.post("/portal/kb/articles/{article_id}/helpful")
async def helpful(
    article_id: IdPath, body: HelpfulIn, viewer: ViewerDep, request: Request, response: Response
) -> KbArticle:
    """One vote per user; an anonymous reader votes as his browser (the visitor cookie,
    set here the first time)."""
    visitor = _visitor(request)
    if viewer is None and not visitor:
        visitor = secrets.token_urlsafe(24)
        response.set_cookie(
            VISITOR_COOKIE,
            visitor,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path=VISITOR_PATH,
        )
    a = await clients(request).portal.VoteArticle(
        pb.VoteArticleRequest(article_id=article_id, helpful=body.helpful, visitor=visitor)
    )
    return KbArticle.from_pb(a)
