"""Settings of the portal service (environment, prefix HELPDESK_). What admins change at
run time (on/off, limits, who hears of new posts) is in the database, not here."""

from __future__ import annotations

from helpdesk_kit.config import DatabaseSettings, NatsSettings, ServiceSettings


class Settings(ServiceSettings, DatabaseSettings, NatsSettings):
    # Identity's gRPC address: its public keys verify passports; it names the authors.
    identity_addr: str
