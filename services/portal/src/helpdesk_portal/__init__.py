"""The portal service: the public site of posts, comments, likes, news and the knowledge base."""
