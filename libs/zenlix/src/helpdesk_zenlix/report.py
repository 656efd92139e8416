"""The import report: per kind of object, how many were read, imported, already there,
skipped (with each reason) and imported with a change (with each change). Nothing is
dropped without a line here."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Tally:
    read: int = 0
    imported: int = 0
    already: int = 0  # imported by an earlier run
    skipped: Counter[str] = field(default_factory=Counter)
    changed: Counter[str] = field(default_factory=Counter)  # imported, but altered to fit

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] += n

    def change(self, what: str, n: int = 1) -> None:
        self.changed[what] += n

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "read": self.read,
            "imported": self.imported,
            "already_imported": self.already,
            "skipped": dict(self.skipped),
            "changed": dict(self.changed),
        }


@dataclass
class Report:
    service: str
    dry_run: bool
    kinds: dict[str, Tally] = field(default_factory=dict)
    seconds: float = 0.0

    def __getitem__(self, kind: str) -> Tally:
        return self.kinds.setdefault(kind, Tally())

    def balanced(self) -> bool:
        """Every object read is accounted for: imported, already there, or skipped."""
        return all(t.read == t.imported + t.already + t.skipped_total for t in self.kinds.values())

    def render(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        lines = [f"ZENLIX import into {self.service}{' (dry run: nothing written)' if self.dry_run else ''}"]
        lines.append(f"  {'kind':<16}{'read':>9}{verb:>14}{'already':>9}{'skipped':>9}")
        for kind, t in self.kinds.items():
            lines.append(f"  {kind:<16}{t.read:>9}{t.imported:>14}{t.already:>9}{t.skipped_total:>9}")
            for reason, n in sorted(t.skipped.items(), key=lambda kv: -kv[1]):
                lines.append(f"      skipped {n:>7}  {reason}")
            for what, n in sorted(t.changed.items(), key=lambda kv: -kv[1]):
                lines.append(f"      changed {n:>7}  {what}")
        lines.append(f"  took {self.seconds:.1f} s")
        return "\n".join(lines)

    def as_json(self) -> str:
        return json.dumps(
            {
                "service": self.service,
                "dry_run": self.dry_run,
                "seconds": round(self.seconds, 2),
                "kinds": {k: t.as_dict() for k, t in self.kinds.items()},
            },
            ensure_ascii=False,
            indent=2,
        )


class ImportRefused(Exception):
    """The target already holds different objects under ZENLIX's ids: nothing was written."""

    def __init__(self, service: str, conflicts: list[str]) -> None:
        self.conflicts = conflicts
        shown = "\n  ".join(conflicts[:20])
        more = f"\n  ... and {len(conflicts) - 20} more" if len(conflicts) > 20 else ""
        super().__init__(
            f"The {service} import is refused: the target already holds other objects under ZENLIX's ids,"
            f" and ids are kept so that the services agree without asking each other. Import into a fresh"
            f" installation (or remove these objects). Nothing was written.\n  {shown}{more}"
        )
