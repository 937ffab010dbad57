"""Seed data for the police desk tests (service and browser): registry lines, a fraud case, a SIM-bank alert,
and a small call-record store under FANZHA_HOME/store written by the real ingest."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

CST = timezone(timedelta(hours=8))
FRAUD = "13307150001"  # fraud caller, owned by 张三丰, with a second line
SECOND = "13307150002"
OTHER = "18907150009"  # 李四, one line, no records
SIMS = ("17307150101", "17307150102", "17307150103")  # members of a SIM bank (one IMEI)
FRAUD_IMEI = "353911100000017"
BOX_IMEI = "861234500000028"


@dataclass(frozen=True)
class Seed:
    owner_id: str
    owner_name: str
    other_id: str
    case_id: int
    simbank_alert_id: int
    clerk_name: str


def _id(first17: str) -> str:
    from fanzha.ids import check_char

    return first17 + check_char(first17)


def _cdr(path: Path) -> None:
    t0 = datetime(2026, 11, 3, 9, 0, tzinfo=CST)
    rows = []
    for i in range(12):  # fraud caller: short outgoing calls to many peers, one night call
        start = t0 + timedelta(minutes=7 * i) if i else datetime(2026, 11, 3, 2, 30, tzinfo=CST)
        rows.append((f"c{i}", FRAUD, f"1390000{i % 5:04d}", "out", start.isoformat(), 8 if i % 3 else 0, "CELL1",
                     FRAUD_IMEI))  # fmt: skip
    rows.append(("c20", FRAUD, "13900000000", "in", (t0 + timedelta(hours=3)).isoformat(), 40, "CELL2", FRAUD_IMEI))
    rows.append(("c21", FRAUD, "13900000000", "out", (t0 - timedelta(days=60)).isoformat(), 30, "CELL1",
                 "111111110000001"))  # outside the 30-day window: a different, older handset  # fmt: skip
    for j, m in enumerate(SIMS):
        rows.append((f"s{j}", m, f"1380000{j:04d}", "out", (t0 + timedelta(minutes=j)).isoformat(), 5, "CELL9",
                     BOX_IMEI))  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["record_id", "msisdn", "peer", "direction", "start_time", "duration_s", "cell_id", "imei"])
        w.writerows(rows)


def seed(engine, settings, tmp: Path) -> Seed:
    from fanzha.analytics.ingest import ingest
    from fanzha.casework.alerts.service import raise_alert
    from fanzha.casework.auth.principal import Principal
    from fanzha.casework.registry.models import Clerk, Line, Person, Shop
    from fanzha.db import session_scope
    from fanzha.privacy import Protector, mask_id, mask_name

    protector = Protector.from_settings(settings)
    owner_id, other_id = _id("42120219800101001"), _id("42122119900202002")
    system = Principal.system("detector")
    with session_scope(engine) as db:
        db.add(Shop(shop_id="S001", name="咸安营业厅", region_code="421202"))
        db.flush()
        db.add(Clerk(clerk_id="C007", shop_id="S001", name="王小明"))
        persons = []
        for name, id_no in (("张三丰", owner_id), ("李四", other_id), ("赵六", _id("42122219700505003"))):
            p = Person(id_hash=protector.hash(id_no), id_enc=protector.encrypt(id_no), id_masked=mask_id(id_no),
                       name_enc=protector.encrypt(name), name_masked=mask_name(name), division_code=id_no[:6],
                       sex="M", birth_date=datetime.strptime(id_no[6:14], "%Y%m%d").date())  # fmt: skip
            db.add(p)
            persons.append(p)
        db.flush()
        for msisdn, k in ((FRAUD, 0), (SECOND, 0), (OTHER, 1), *((m, 2) for m in SIMS)):
            db.add(Line(msisdn=msisdn, line_type="mobile", person_id=persons[k].id, shop_id="S001", clerk_id="C007",
                        status="active", open_time=datetime(2026, 5, 1, tzinfo=UTC), carrier="telecom"))  # fmt: skip
        db.flush()
        fraud = raise_alert(db, source="detector", subject_type="msisdn", subject=FRAUD, detector="fraud_caller",
                            score=0.9, reasons="每小时外呼超过100次，多为10秒内短通话", evidence={"calls_1h": 130},
                            event_time=datetime(2026, 11, 3, 10, 0, tzinfo=CST), actor=system, settings=settings)  # fmt: skip
        box = raise_alert(db, source="detector", subject_type="imei", subject=BOX_IMEI, detector="simbox", score=0.8,
                          reasons="同一设备承载3张卡，几乎只外呼", evidence={"lines": list(SIMS)},
                          event_time=datetime(2026, 11, 3, 9, 5, tzinfo=CST), actor=system, settings=settings)  # fmt: skip
        case_id, box_id = fraud.case_id, box.alert.id
    cdr = tmp / "cdr.csv"
    _cdr(cdr)
    ingest(store=settings.home / "store", cdr=cdr)
    return Seed(owner_id=owner_id, owner_name="张三丰", other_id=other_id, case_id=case_id, simbank_alert_id=box_id,
                clerk_name="王小明")  # fmt: skip


def who(name, *roles):
    """A principal acting in a service call (no account row needed)."""
    from fanzha.casework.auth.principal import Principal

    return Principal(user_id=None, username=name, roles=frozenset(roles), via="test")
