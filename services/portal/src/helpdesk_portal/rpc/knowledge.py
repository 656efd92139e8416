"""gRPC handlers of news and the knowledge base."""

from __future__ import annotations

from helpdesk.portal.v1 import portal_pb2 as pb

from helpdesk_portal import wire
from helpdesk_portal.domain.knowledge import NewArticle
from helpdesk_portal.rpc.base import Context, Handlers, viewer
from helpdesk_portal.usecases import kb, news


class KnowledgeRpc(Handlers):
    async def ListNews(self, request: pb.ListNewsRequest, context: Context) -> pb.NewsList:
        found = await news.list_news(db=self.db, limit=request.limit, cursor=request.cursor)
        return pb.NewsList(news=[wire.news_to_pb(n) for n in found.news], next_cursor=found.next_cursor)

    async def GetNews(self, request: pb.NewsRequest, context: Context) -> pb.News:
        return wire.news_to_pb(await news.get_news(db=self.db, news_id=request.news_id))

    async def CreateNews(self, request: pb.CreateNewsRequest, context: Context) -> pb.News:
        item = await news.create_news(
            db=self.db,
            directory=self.directory,
            viewer=viewer(),
            title=request.title,
            body=request.body,
            attachment_ids=list(request.attachment_ids),
        )
        return wire.news_to_pb(item)

    async def UpdateNews(self, request: pb.UpdateNewsRequest, context: Context) -> pb.News:
        item = await news.update_news(
            db=self.db,
            viewer=viewer(),
            news_id=request.news_id,
            title=request.title if request.HasField("title") else None,
            body=request.body if request.HasField("body") else None,
        )
        return wire.news_to_pb(item)

    async def DeleteNews(self, request: pb.NewsRequest, context: Context) -> pb.DeleteResponse:
        await news.delete_news(db=self.db, viewer=viewer(), news_id=request.news_id)
        return pb.DeleteResponse()

    async def ListCategories(self, request: pb.ListCategoriesRequest, context: Context) -> pb.CategoryList:
        found = await kb.list_categories(db=self.db, viewer=viewer())
        return pb.CategoryList(categories=[wire.category_to_pb(c) for c in found])

    async def CreateCategory(self, request: pb.CreateCategoryRequest, context: Context) -> pb.Category:
        c = await kb.create_category(
            db=self.db,
            viewer=viewer(),
            parent_id=request.parent_id,
            name=request.name,
            position=request.position,
        )
        return wire.category_to_pb(c)

    async def UpdateCategory(self, request: pb.UpdateCategoryRequest, context: Context) -> pb.Category:
        c = await kb.update_category(
            db=self.db,
            viewer=viewer(),
            category_id=request.category_id,
            name=request.name if request.HasField("name") else None,
            parent_id=request.parent_id if request.HasField("parent_id") else None,
            position=request.position if request.HasField("position") else None,
        )
        return wire.category_to_pb(c)

    async def DeleteCategory(self, request: pb.CategoryRequest, context: Context) -> pb.DeleteResponse:
        await kb.delete_category(db=self.db, viewer=viewer(), category_id=request.category_id)
        return pb.DeleteResponse()

    async def ListArticles(self, request: pb.ListArticlesRequest, context: Context) -> pb.ArticleList:
        me = viewer()
        found = await kb.list_articles(
            db=self.db,
            viewer=me,
            category_id=request.category_id,
            q=request.q,
            limit=request.limit,
            cursor=request.cursor,
        )
        return pb.ArticleList(
            articles=[wire.article_to_pb(a, me) for a in found.articles], next_cursor=found.next_cursor
        )

    async def GetArticle(self, request: pb.ArticleRequest, context: Context) -> pb.Article:
        me = viewer()
        a = await kb.get_article(
            db=self.db, viewer=me, article_id=request.article_id, visitor=request.visitor
        )
        return wire.article_to_pb(a, me)

    async def CreateArticle(self, request: pb.CreateArticleRequest, context: Context) -> pb.Article:
        me = viewer()
        new = NewArticle(
            category_id=request.category_id,
            title=request.title,
            body=request.body,
            visibility=request.visibility,
            unit_ids=list(request.unit_ids),
            attachment_ids=list(request.attachment_ids),
        )
        a = await kb.create_article(db=self.db, directory=self.directory, viewer=me, new=new)
        return wire.article_to_pb(a, me)

    async def UpdateArticle(self, request: pb.UpdateArticleRequest, context: Context) -> pb.Article:
        me = viewer()
        change = kb.ArticleChange(
            category_id=request.category_id if request.HasField("category_id") else None,
            title=request.title if request.HasField("title") else None,
            body=request.body if request.HasField("body") else None,
            visibility=request.visibility if request.HasField("visibility") else None,
            unit_ids=list(request.unit_ids) if request.set_unit_ids else None,
        )
        a = await kb.update_article(db=self.db, viewer=me, article_id=request.article_id, change=change)
        return wire.article_to_pb(a, me)

    async def DeleteArticle(self, request: pb.ArticleRequest, context: Context) -> pb.DeleteResponse:
        await kb.delete_article(db=self.db, viewer=viewer(), article_id=request.article_id)
        return pb.DeleteResponse()

    async def VoteArticle(self, request: pb.VoteArticleRequest, context: Context) -> pb.Article:
        me = viewer()
        a = await kb.vote_article(
            db=self.db,
            viewer=me,
            article_id=request.article_id,
            helpful=request.helpful,
            visitor=request.visitor,
        )
        return wire.article_to_pb(a, me)
