"""Police CSV import with quarantine, manual entries with L2 approval, expiry, the kept line, proposed measures."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta

import pytest

from onboarding.onboarding_support import make_id, reviewer

A = make_id("421202", date(1990, 3, 7), 17)
B = make_id("421281", date(1975, 11, 2), 22)
C = make_id("421223", date(2001, 5, 5), 33)
HEADER = ["id_no", "name", "case_no", "decided_on", "ban_years", "keep_msisdn"]


def write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def police():
    from fanzha.casework.auth.principal import Principal

    return Principal(user_id=None, username="police1", roles=frozenset({"police_liaison"}))


def _proposals(engine):
    from sqlalchemy import select

    from fanzha.casework.audit.models import AuditEvent
    from fanzha.db import session_scope

    with session_scope(engine) as db:
        return [json.loads(e.detail) for e in db.execute(
            select(AuditEvent).where(AuditEvent.action == "blacklist.measure_proposed").order_by(AuditEvent.seq)
        ).scalars()]  # fmt: skip


def test_import_quarantines_bad_rows_and_is_idempotent(engine, gate, registry, tmp_path):
    from fanzha.casework.blacklist import flows, service
    from fanzha.db import session_scope

    registry.person(A, "刘一", [("13307150001", "mobile", "active"), ("13307150002", "mobile", "active"),
                                ("07158123456", "fixed", "active"), ("13307150003", "mobile", "cancelled")])  # fmt: skip
    old = (date.today() - timedelta(days=6 * 366)).isoformat()
    src = write_csv(tmp_path / "police.csv", [
        [A, "刘一", "咸公(刑)2026-001", (date.today() - timedelta(days=30)).isoformat(), "5", "13307150002"],
        [B, "孙二", "咸公(刑)2020-002", old, "", ""],  # default 5 years: already over
        [C, "周三", "咸公(刑)2026-003", "2026-02-30", "5", ""],  # no such date
        [A[:-1] + "0" if A[-1] != "0" else A[:-1] + "1", "刘一", "X-1", "2026-01-01", "5", ""],  # check char
        [C, "", "X-2", "2026-01-01", "5", ""],  # name missing
        [C, "周三", "X-3", "2026-01-01", "five", ""],  # ban_years
        [C, "周三", "X-4", "2026-01-01", "5", "12345"],  # kept number
    ])  # fmt: skip
    with session_scope(engine) as db:
        s = flows.import_csv(db, key=gate.key, protector=gate.protector, actor=police(), path=src)
    assert (s.rows, s.added, s.expired_on_arrival, s.quarantined) == (7, 2, 1, 5)
    assert s.reasons == {"decided_on": 1, "id_no": 1, "name": 1, "ban_years": 1, "keep_msisdn": 1}
    with (tmp_path / "police.quarantine.csv").open(encoding="utf-8") as fh:
        bad = list(csv.DictReader(fh))
    assert [r["line"] for r in bad] == ["4", "5", "6", "7", "8"] and bad[0]["reason"].startswith("decided_on")
    # lines beyond the kept one (active only) become proposed measures, masked in the trail
    assert s.measures_proposed == 2
    proposed = _proposals(engine)
    assert sorted(proposed[0]["msisdns"]) == ["071****3456", "133****0001"] and proposed[0]["measure"] == "shutdown"
    with session_scope(engine) as db:  # the proposal is a real case in the three-level review
        from fanzha.casework.cases.models import Case

        case = db.get(Case, proposed[0]["case_id"])
        assert case is not None and case.proposed_measure == "shutdown"
    with session_scope(engine) as db:
        again = flows.import_csv(db, key=gate.key, protector=gate.protector, actor=police(), path=src)
        assert (again.added, again.already_present, again.measures_proposed) == (0, 2, 0)
        active = service.active_entry(db, person_hash=gate.protector.hash(A), on=date.today())
        assert active is not None and active.keep_msisdn == "13307150002" and active.ban_years == 5
        assert service.active_entry(db, person_hash=gate.protector.hash(B), on=date.today()) is None


def test_import_refuses_a_file_without_the_contract_columns(engine, gate, tmp_path):
    from fanzha.casework.blacklist import flows
    from fanzha.db import session_scope

    path = tmp_path / "x.csv"
    path.write_text("id,name\n1,2\n", encoding="utf-8")
    with session_scope(engine) as db, pytest.raises(flows.BlacklistError, match="表头缺少必填列：id_no（证件号码）、case_no"):
        flows.import_csv(db, key=gate.key, protector=gate.protector, actor=police(), path=path)


def test_manual_entry_needs_l2_approval_by_someone_else_then_expires(engine, gate, registry):
    from fanzha.casework.blacklist import flows, service
    from fanzha.casework.blacklist.schemas import ManualEntryRequest
    from fanzha.db import session_scope

    registry.person(C, "周三", [("18907150001", "mobile", "active"), ("18907150002", "mobile", "active")])
    decided = date.today() - timedelta(days=10)
    body = ManualEntryRequest(id_no=C, name="周三", case_no="咸公(治)2026-9", decided_on=decided, ban_years=1,
                              reason="12321 举报核实为收卡人员")  # fmt: skip
    h = gate.protector.hash(C)
    with session_scope(engine) as db:
        entry_id = flows.request_manual(db, key=gate.key, protector=gate.protector, actor=police(), body=body).id
        assert service.active_entry(db, person_hash=h, on=date.today()) is None  # pending: no effect yet
    with session_scope(engine) as db, pytest.raises(flows.BlacklistError, match="双人复核"):
        flows.decide(db, key=gate.key, actor=reviewer("police1"), entry_id=entry_id, approve=True)
    with session_scope(engine) as db:
        flows.decide(db, key=gate.key, actor=reviewer(), entry_id=entry_id, approve=True)
    with session_scope(engine) as db:
        entry = service.active_entry(db, person_hash=h, on=date.today())
        assert entry is not None and entry.expires_on == service.expiry(decided, 1)
        # no kept number given: the oldest mobile line is kept, the other proposed
        assert _proposals(engine)[-1]["msisdns"] == ["189****0002"]
        assert flows.expire_due(db, key=gate.key, actor=police(), on=date.today()) == 0
    with session_scope(engine) as db:
        assert flows.expire_due(db, key=gate.key, actor=police(), on=entry.expires_on) == 1
    with session_scope(engine) as db:
        assert service.list_entries(db)[0].status == "expired"
        with pytest.raises(flows.BlacklistError):
            flows.decide(db, key=gate.key, actor=reviewer(), entry_id=entry_id, approve=False)


def test_expiry_handles_leap_day():
    from fanzha.casework.blacklist.service import expiry

    assert expiry(date(2024, 2, 29), 5) == date(2029, 2, 28)
    assert expiry(date(2026, 5, 1), 5) == date(2031, 5, 1)


def test_cli_import(engine, gate, tmp_path, db_url):
    from typer.testing import CliRunner

    from fanzha.cli import app

    src = write_csv(tmp_path / "p.csv", [[A, "刘一", "K-1", "2026-01-02", "5", ""], ["123", "x", "K-2", "2026-01-02", "", ""]])
    out = CliRunner().invoke(app, ["blacklist", "import", str(src), "--url", db_url])
    assert out.exit_code == 0, out.output
    assert "added 1" in out.output and "quarantined 1" in out.output and (tmp_path / "p.quarantine.csv").exists()
    out = CliRunner().invoke(app, ["blacklist", "expire", "--url", db_url])
    assert out.exit_code == 0 and "expired 0" in out.output
