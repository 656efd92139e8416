"""The portal's rules, free of any framework: who reads and writes what, kinds and
statuses, limits, settings. ``viewer`` (who acts), ``posts`` (posts and comments),
``knowledge`` (news, categories, articles), ``settings``."""

from helpdesk_portal.domain.knowledge import Article, Category, News
from helpdesk_portal.domain.posts import Answer, Attachment, Author, Comment, Post
from helpdesk_portal.domain.settings import PortalSettings
from helpdesk_portal.domain.viewer import ANONYMOUS, Viewer

__all__ = [
    "ANONYMOUS",
    "Answer",
    "Article",
    "Attachment",
    "Author",
    "Category",
    "Comment",
    "News",
    "PortalSettings",
    "Post",
    "Viewer",
]
