"""The portal's use cases, one function each, keyword-only: open a unit of work, check the
portal is on and the caller's right, call the domain, record the events, commit.

``posts`` (list, read, write, moderate, vote, link a ticket), ``comments``, ``files``
(upload, download), ``news``, ``kb`` (categories, articles, helpful votes), ``settings``;
``guards`` and ``cursors`` are what they share.
"""

from helpdesk_portal.usecases import comments, files, kb, news, posts, settings

__all__ = ["comments", "files", "kb", "news", "posts", "settings"]
