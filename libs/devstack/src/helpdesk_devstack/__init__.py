"""Development tooling, never installed in service images.

Real PostgreSQL, NATS and Redis servers from Python packages (:mod:`.servers`),
the one-machine launcher behind ``make run`` (:mod:`.stack`, run with
``python -m helpdesk_devstack run``) and the pytest plugin with server fixtures
(:mod:`.testing.plugin`).
"""
