"""Shared by the supervision tests: a small casework history made through the real services.

Lines: A (咸安区 shop, auto-suspended, appeal upheld), B (unused), C (赤壁市 shop, SIM bank shut down after
L1/L2/L3, appeal rejected), D (赤壁市, case left in the L1 queue), E (opened 2025, already shut down).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

A, B, C, D, E = "13307150001", "13307150002", "18907150003", "18907150004", "15307150005"


@dataclass
class Scenario:
    settings: object
    engine: object
    ids: dict = field(default_factory=dict)


def _actor(name, *roles):
    from fanzha.casework.auth.principal import Principal

    return Principal(user_id=None, username=name, roles=frozenset(roles), via="test")


def build_scenario(engine) -> Scenario:
    """Make the scenario's history on ``engine`` (a migrated, empty database)."""
    from fanzha.casework.alerts.service import raise_alert
    from fanzha.casework.appeals import flows as appeals
    from fanzha.casework.auth.enums import Role
    from fanzha.casework.cases import flows
    from fanzha.casework.context import work_context
    from fanzha.casework.measures.dispatch import dispatch_orders
    from fanzha.casework.registry.models import Line, Person, Shop
    from fanzha.config import Settings
    from fanzha.db import session_scope
    from fanzha.ids import check_char
    from fanzha.privacy import Protector, mask_id, mask_name

    settings = Settings(bss_retry_base_seconds=0.0, auto_suspend_score=0.97)
    ctx = work_context(settings)
    protector = Protector.from_settings(settings)
    first17 = "42120219800101001"
    id_no = first17 + check_char(first17)
    with session_scope(engine) as db:
        db.add_all([Shop(shop_id="S001", name="咸安营业厅", region_code="421202"),
                    Shop(shop_id="S002", name="赤壁营业厅", region_code="421281")])  # fmt: skip
        p = Person(id_hash=protector.hash(id_no), id_enc=protector.encrypt(id_no), id_masked=mask_id(id_no),
                   name_enc=protector.encrypt("张三"), name_masked=mask_name("张三"), division_code="421202")  # fmt: skip
        db.add(p)
        db.flush()
        for m, shop, year, status in ((A, "S001", 2026, "active"), (B, "S001", 2026, "active"),
                                      (C, "S002", 2026, "active"), (D, "S002", 2026, "active"),
                                      (E, "S001", 2025, "shutdown")):  # fmt: skip
            db.add(Line(msisdn=m, line_type="mobile", person_id=p.id if m == A else None, shop_id=shop,
                        clerk_id=None, status=status, open_time=datetime(year, 5, 1, tzinfo=UTC), carrier="telecom"))
    system, l1, l2, l3 = (_actor("detector"), _actor("rev1", Role.REVIEWER_L1), _actor("rev2", Role.REVIEWER_L2),
                          _actor("rev3", Role.REVIEWER_L3))  # fmt: skip
    ids = {}
    with session_scope(engine) as db:
        # A: scored above the auto-suspend threshold → suspended before review.
        ids["a_case"] = raise_alert(db, source="detector", detector="fraud_caller", subject_type="msisdn", subject=A,
                                    score=0.99, alert_id="t-a", actor=system, settings=settings).case_id
        # C: a SIM-bank line, shut down after L1, L2 and L3.
        ids["c_case"] = raise_alert(db, source="detector", detector="simbox", subject_type="msisdn", subject=C,
                                    score=0.9, alert_id="t-c", actor=system, settings=settings).case_id
        # D: stays in the L1 queue.
        ids["d_case"] = raise_alert(db, source="detector", detector="resold_card", subject_type="msisdn", subject=D,
                                    score=0.5, alert_id="t-d", actor=system, settings=settings).case_id
    with session_scope(engine) as db:
        flows.transition(db, ctx=ctx, case_id=ids["c_case"], action="l1_verify", actor=l1)
        flows.transition(db, ctx=ctx, case_id=ids["c_case"], action="l2_approve", actor=l2, measure="shutdown")
        flows.transition(db, ctx=ctx, case_id=ids["c_case"], action="l3_approve", actor=l3)
    dispatch_orders(engine, settings=settings)
    clerk = _actor("clerk1", Role.CLERK)
    with session_scope(engine) as db:
        up = appeals.file_appeal(db, ctx=ctx, msisdn=A, statement="本人使用", channel="counter", actor=clerk)
        appeals.record_reverification(db, ctx=ctx, appeal_id=up.id, id_no=id_no, person_present=True,
                                      purpose="工作", actor=clerk)  # fmt: skip
        appeals.decide(db, ctx=ctx, appeal_id=up.id, upheld=True, note="成立", actor=l2)
        down = appeals.file_appeal(db, ctx=ctx, msisdn=C, statement="恢复", channel="counter", actor=clerk)
        appeals.decide(db, ctx=ctx, appeal_id=down.id, upheld=False, note="不成立", actor=l3)
        ids["appeals"] = (up.id, down.id)
    dispatch_orders(engine, settings=settings)
    return Scenario(settings=settings, engine=engine, ids=ids)
