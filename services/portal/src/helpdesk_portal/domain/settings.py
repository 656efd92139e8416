"""The portal's settings (admins): on or off, its title, who hears of new posts, the limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from helpdesk_kit.errors import FieldError

DEFAULT_TYPES = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
)
# Files are kept in PostgreSQL (docs/adr/0012-portal-service.md): a hard ceiling.
MAX_FILE_CEILING = 10 * 1024 * 1024
MAX_NOTIFIED = 50
MAX_PER_HOUR = 10_000


@dataclass(frozen=True)
class PortalSettings:
    enabled: bool = False
    title: str = ""
    intro: str = ""
    notify_user_ids: tuple[int, ...] = ()
    posts_per_hour: int = 5
    comments_per_hour: int = 30
    max_file_bytes: int = 5 * 1024 * 1024
    allowed_types: tuple[str, ...] = field(default=DEFAULT_TYPES)

    def problems(self) -> list[FieldError]:
        errors: list[FieldError] = []
        if len(self.title) > 200 or "\x00" in self.title:
            errors.append(FieldError("title", "at most 200 characters"))
        if len(self.intro) > 5000 or "\x00" in self.intro:
            errors.append(FieldError("intro", "at most 5000 characters"))
        if len(self.notify_user_ids) > MAX_NOTIFIED or any(i <= 0 for i in self.notify_user_ids):
            errors.append(FieldError("notify_user_ids", f"at most {MAX_NOTIFIED} user ids"))
        for name in ("posts_per_hour", "comments_per_hour"):
            if not 0 <= getattr(self, name) <= MAX_PER_HOUR:
                errors.append(FieldError(name, f"between 0 (no limit) and {MAX_PER_HOUR}"))
        if not 1024 <= self.max_file_bytes <= MAX_FILE_CEILING:
            errors.append(FieldError("max_file_bytes", f"between 1024 and {MAX_FILE_CEILING}"))
        if not self.allowed_types or any(
            "/" not in t or len(t) > 100 or not t.isprintable() for t in self.allowed_types
        ):
            errors.append(FieldError("allowed_types", "content types such as image/png"))
        return errors
