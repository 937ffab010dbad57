"""Helpers for counter-gate tests (import as ``from onboarding.onboarding_support import ...``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

def make_id(division: str, born: date, seq: int = 12) -> str:
    from fanzha.ids import check_char

    first17 = f"{division}{born:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


def years_ago(n: int) -> date:
    today = date.today()
    return date(today.year - n, 1, 15) if today >= date(today.year, 1, 15) else date(today.year - n - 1, 1, 15)


def clerk(name: str = "clerk1", shop: str = "S001"):
    from fanzha.casework.auth.principal import Principal

    return Principal(user_id=None, username=name, roles=frozenset({"clerk"}), shops=frozenset({shop}))


def reviewer(name: str = "rev2"):
    from fanzha.casework.auth.principal import Principal

    return Principal(user_id=None, username=name, roles=frozenset({"reviewer_l2"}))


@dataclass
class Registry:
    engine: object
    gate: object

    def shops(self, *ids: str) -> None:
        from fanzha.casework.registry.models import Shop
        from fanzha.db import session_scope

        with session_scope(self.engine) as db:
            db.add_all([Shop(shop_id=s, name=s) for s in ids])

    def person(self, id_no: str, name: str, lines: list[tuple[str, str, str]] = (), *, shop: str = "S001",
               clerk_id: str | None = None, opened: datetime | None = None) -> None:  # fmt: skip
        """lines: (msisdn, line_type, status)."""
        from fanzha.casework.registry.models import Line, Person
        from fanzha.db import session_scope
        from fanzha.privacy import mask_id, mask_name

        from fanzha.casework.registry.models import Clerk

        pr = self.gate.protector
        with session_scope(self.engine) as db:
            if clerk_id and db.get(Clerk, clerk_id) is None:
                db.add(Clerk(clerk_id=clerk_id, shop_id=shop))
            p = Person(id_hash=pr.hash(id_no), id_enc=pr.encrypt(id_no), id_masked=mask_id(id_no),
                       name_enc=pr.encrypt(name), name_masked=mask_name(name), division_code=id_no[:6])  # fmt: skip
            db.add(p)
            db.flush()
            for msisdn, line_type, status in lines:
                db.add(Line(msisdn=msisdn, line_type=line_type, person_id=p.id, shop_id=shop, clerk_id=clerk_id,
                            status=status, open_time=opened or datetime(2025, 3, 1, tzinfo=UTC)))  # fmt: skip
