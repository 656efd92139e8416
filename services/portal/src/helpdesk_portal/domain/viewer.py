"""Who reads or writes: a signed-in user (from his passport) or an anonymous visitor."""

from __future__ import annotations

from dataclasses import dataclass

ANONYMOUS_ID = 0


@dataclass(frozen=True)
class Viewer:
    """The acting person. ``user_id`` 0 is an anonymous visitor of the public site."""

    user_id: int = ANONYMOUS_ID
    kind: str = ""  # staff | client | "" (anonymous)
    role: str | None = None
    unit_ids: tuple[int, ...] = ()
    is_admin: bool = False
    name: str = ""  # the login, shown when identity cannot be asked for the full name

    @property
    def is_signed_in(self) -> bool:
        return self.user_id != ANONYMOUS_ID

    @property
    def is_staff(self) -> bool:
        return self.is_signed_in and self.kind == "staff"

    @property
    def is_client(self) -> bool:
        return self.is_signed_in and self.kind == "client"

    @property
    def sees_every_article(self) -> bool:
        """Admins and department heads read every article, whoever it is meant for."""
        return self.is_staff and (self.is_admin or self.role == "department_head")


ANONYMOUS = Viewer()
