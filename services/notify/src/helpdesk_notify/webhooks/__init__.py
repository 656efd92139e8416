"""Outgoing webhooks and the events feed (ADR 0013, docs/webhooks.md).

``kinds`` turns consumed facts into feed events (type, data as the REST API shows the
resource, who may see it); ``record`` stores them and queues one delivery per matching
webhook in the consumer's transaction; ``addresses`` is the guard against requests to
internal addresses (SSRF); ``signing`` the signature receivers check; ``sender`` one
HTTP attempt to a pinned address; ``worker`` drains the queue in order per ticket;
``store`` the SQL; ``usecases`` what the admin API and the feed call.
"""
