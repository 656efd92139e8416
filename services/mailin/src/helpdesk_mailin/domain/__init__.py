"""Mail intake's rules, pure (no I/O, no framework): ``message`` (raw mail → facts),
``text`` (charsets, HTML → Markdown), ``quotes`` (a reply's own words), ``detection``
(auto-replies, bounces, loops, the sender's rate), ``references`` (which ticket a reply
answers), ``mailbox`` (a mailbox's settings and who a sender is), ``idempotency`` (the
keys that make a retried mail file nothing twice)."""
