"""REST for the portal's news and knowledge base. Anonymous readers' "was this helpful"
votes are told apart by a cookie the gateway sets (``helpdesk_visitor``: random, HttpOnly,
only sent to the knowledge base's routes); signed-in users vote as themselves."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import ORJSONResponse
from helpdesk.portal.v1 import portal_pb2 as pb
from pydantic import Field

from helpdesk_gateway.api.portal_shapes import (
    ArticleOut,
    ArticlePage,
    CategoryList,
    CategoryOut,
    NewsOut,
    NewsPage,
    Visibility,
    article_out,
    category_out,
    news_out,
)
from helpdesk_gateway.api.shapes import Strict, clients
from helpdesk_gateway.auth import CallerDep, ViewerDep

router = APIRouter(default_response_class=ORJSONResponse)

VISITOR_COOKIE = "helpdesk_visitor"
VISITOR_PATH = "/api/v1/portal/kb"
Ids = list[Annotated[int, Field(gt=0, lt=2**63)]]
Cursor = Annotated[str | None, Query(max_length=500)]
Limit = Annotated[int, Query(ge=1, le=200)]


class NewsIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=50_000, description="Markdown")
    attachment_ids: Ids = Field(default_factory=list, max_length=10)


class NewsPatch(Strict):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    body: str | None = Field(default=None, min_length=1, max_length=50_000)


class CategoryIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    parent_id: int | None = Field(default=None, gt=0, lt=2**63)
    position: int = Field(default=0, ge=-1_000_000, le=1_000_000)


class CategoryPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    parent_id: int | None = Field(default=None, ge=0, lt=2**63, description="0 = top level")
    position: int | None = Field(default=None, ge=-1_000_000, le=1_000_000)


class ArticleIn(Strict):
    category_id: int = Field(gt=0, lt=2**63)
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=100_000, description="Markdown")
    visibility: Visibility = "public"
    unit_ids: Ids = Field(
        default_factory=list, max_length=100, description="staff articles: only these units"
    )
    attachment_ids: Ids = Field(default_factory=list, max_length=10)


class ArticlePatch(Strict):
    category_id: int | None = Field(default=None, gt=0, lt=2**63)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    body: str | None = Field(default=None, min_length=1, max_length=100_000)
    visibility: Visibility | None = None
    unit_ids: Ids | None = Field(default=None, max_length=100)


class HelpfulIn(Strict):
    helpful: bool


def _visitor(request: Request) -> str:
    return request.cookies.get(VISITOR_COOKIE, "")[:100]


# ---- news -------------------------------------------------------------------------


@router.get("/portal/news", response_model=NewsPage)
async def list_news(
    viewer: ViewerDep, request: Request, limit: Limit = 50, cursor: Cursor = None
) -> NewsPage:
    resp = await clients(request).portal.ListNews(pb.ListNewsRequest(limit=limit, cursor=cursor or ""))
    return NewsPage(items=[news_out(n) for n in resp.news], next_cursor=resp.next_cursor or None)


@router.post("/portal/news", response_model=NewsOut, status_code=201)
async def create_news(body: NewsIn, caller: CallerDep, request: Request) -> NewsOut:
    item = await clients(request).portal.CreateNews(
        pb.CreateNewsRequest(title=body.title, body=body.body, attachment_ids=body.attachment_ids)
    )
    return news_out(item)


@router.get("/portal/news/{news_id}", response_model=NewsOut)
async def get_news(news_id: int, viewer: ViewerDep, request: Request) -> NewsOut:
    return news_out(await clients(request).portal.GetNews(pb.NewsRequest(news_id=news_id)))


@router.patch("/portal/news/{news_id}", response_model=NewsOut)
async def update_news(news_id: int, body: NewsPatch, caller: CallerDep, request: Request) -> NewsOut:
    item = await clients(request).portal.UpdateNews(
        pb.UpdateNewsRequest(news_id=news_id, title=body.title, body=body.body)
    )
    return news_out(item)


@router.delete("/portal/news/{news_id}", status_code=204)
async def delete_news(news_id: int, caller: CallerDep, request: Request) -> Response:
    await clients(request).portal.DeleteNews(pb.NewsRequest(news_id=news_id))
    return Response(status_code=204)


# ---- categories -------------------------------------------------------------------


@router.get("/portal/kb/categories", response_model=CategoryList)
async def list_categories(viewer: ViewerDep, request: Request) -> CategoryList:
    resp = await clients(request).portal.ListCategories(pb.ListCategoriesRequest())
    return CategoryList(items=[category_out(c) for c in resp.categories])


@router.post("/portal/kb/categories", response_model=CategoryOut, status_code=201)
async def create_category(body: CategoryIn, caller: CallerDep, request: Request) -> CategoryOut:
    c = await clients(request).portal.CreateCategory(
        pb.CreateCategoryRequest(parent_id=body.parent_id or 0, name=body.name, position=body.position)
    )
    return category_out(c)


@router.patch("/portal/kb/categories/{category_id}", response_model=CategoryOut)
async def update_category(
    category_id: int, body: CategoryPatch, caller: CallerDep, request: Request
) -> CategoryOut:
    c = await clients(request).portal.UpdateCategory(
        pb.UpdateCategoryRequest(
            category_id=category_id, name=body.name, parent_id=body.parent_id, position=body.position
        )
    )
    return category_out(c)


@router.delete("/portal/kb/categories/{category_id}", status_code=204)
async def delete_category(category_id: int, caller: CallerDep, request: Request) -> Response:
    await clients(request).portal.DeleteCategory(pb.CategoryRequest(category_id=category_id))
    return Response(status_code=204)


# ---- articles ---------------------------------------------------------------------


@router.get("/portal/kb/articles", response_model=ArticlePage)
async def list_articles(
    viewer: ViewerDep,
    request: Request,
    category_id: Annotated[int | None, Query(gt=0, lt=2**63)] = None,
    q: Annotated[str | None, Query(max_length=500)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ArticlePage:
    resp = await clients(request).portal.ListArticles(
        pb.ListArticlesRequest(category_id=category_id or 0, q=q or "", limit=limit, cursor=cursor or "")
    )
    return ArticlePage(items=[article_out(a) for a in resp.articles], next_cursor=resp.next_cursor or None)


@router.post("/portal/kb/articles", response_model=ArticleOut, status_code=201)
async def create_article(body: ArticleIn, caller: CallerDep, request: Request) -> ArticleOut:
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
    return article_out(a)


@router.get("/portal/kb/articles/{article_id}", response_model=ArticleOut)
async def get_article(article_id: int, viewer: ViewerDep, request: Request) -> ArticleOut:
    a = await clients(request).portal.GetArticle(
        pb.ArticleRequest(article_id=article_id, visitor=_visitor(request))
    )
    return article_out(a)


@router.patch("/portal/kb/articles/{article_id}", response_model=ArticleOut)
async def update_article(
    article_id: int, body: ArticlePatch, caller: CallerDep, request: Request
) -> ArticleOut:
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
    return article_out(a)


@router.delete("/portal/kb/articles/{article_id}", status_code=204)
async def delete_article(article_id: int, caller: CallerDep, request: Request) -> Response:
    await clients(request).portal.DeleteArticle(pb.ArticleRequest(article_id=article_id))
    return Response(status_code=204)


@router.post("/portal/kb/articles/{article_id}/helpful", response_model=ArticleOut)
async def helpful(
    article_id: int, body: HelpfulIn, viewer: ViewerDep, request: Request, response: Response
) -> ArticleOut:
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
    return article_out(a)
