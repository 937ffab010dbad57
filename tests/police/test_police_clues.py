"""Clue batches on SQLite and PostgreSQL: selection, numbering, the exported package and its hashes, feedback, KPIs."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from police_seed import FRAUD, OTHER, SECOND, SIMS, who


@pytest.fixture
def boss():
    from fanzha.casework.auth.enums import Role

    return who("dudao", Role.SUPERVISOR)


@pytest.fixture
def officer():
    from fanzha.casework.auth.enums import Role

    return who("jingguan", Role.POLICE_LIAISON)


def _key(settings):
    from fanzha.casework.context import work_context

    return work_context(settings).key


def _body(**kw):
    from fanzha.casework.police.schemas import BatchRequest

    return BatchRequest(**({"title": "11月涉诈号码", "recipient": "咸宁市公安局反诈中心"} | kw))


def _create(engine, settings, actor, **kw):
    from fanzha.casework.police import clue_flows
    from fanzha.db import session_scope

    with session_scope(engine) as db:
        b = clue_flows.create(db, key=_key(settings), actor=actor, body=_body(**kw))
        return b.id, b.batch_no


def test_selection_dedups_and_numbers_batches(engine, settings, world, boss):
    from fanzha.casework.context import utcnow
    from fanzha.casework.police import clues
    from fanzha.db import session_scope

    year = (utcnow() + timedelta(hours=8)).year
    bid, no = _create(engine, settings, boss, case_ids=[world.case_id], simbank_alert_ids=[world.simbank_alert_id],
                      msisdns=[OTHER, FRAUD])  # FRAUD is also in the case: once  # fmt: skip
    _, no2 = _create(engine, settings, boss, msisdns=[OTHER])
    assert (no, no2) == (f"XS-{year}-0001", f"XS-{year}-0002")
    with session_scope(engine) as db:
        lines = clues.batch_lines(db, batch_id=bid)
        got = {ln.msisdn: ln for ln in lines}
        assert set(got) == {FRAUD, SECOND, *SIMS, OTHER}  # the case covers both lines of the same owner
        assert got[FRAUD].source_kind == "case" and got[FRAUD].case_id == world.case_id
        assert got[SIMS[0]].source_kind == "simbank" and got[OTHER].source_kind == "line"
        ev = json.loads(got[FRAUD].evidence)
        assert ev["owner"] == {"name": "张**", "id": world.owner_id[:4] + "**********" + world.owner_id[-4:]}
        assert [a["detector"] for a in ev["alerts"]] == ["fraud_caller"]
        assert ev["sources"] == [f"case:{world.case_id}", "line"]
        box = json.loads(got[SIMS[1]].evidence)
        assert box["group"].startswith("imei:") and [a["detector"] for a in box["alerts"]] == ["simbox"]
        assert clues.get_batch(db, batch_id=bid).line_count == len(lines) == 6
        # what the batch form offers, in words
        titles = [c["title"] for c in clues.candidate_cases(db)]
        assert titles and not any("fraud_caller" in t for t in titles)
        assert all(b["subject"].startswith(("设备 ", "基站小区 ")) for b in clues.candidate_simbanks(db))


@pytest.mark.parametrize("kw, message", [
    ({}, "至少选择"), ({"case_ids": [99999]}, "案件不存在"), ({"msisdns": ["13900000000"]}, "不在本网登记数据中"),
    ({"msisdns": ["12x"]}, "号码格式无效"),
])  # fmt: skip
def test_bad_selection_is_refused(engine, settings, world, boss, kw, message):
    from fanzha.casework.police.clues import ClueError

    with pytest.raises(ClueError, match=message):
        _create(engine, settings, boss, **kw)


def test_fraud_alert_is_not_a_simbank_group(engine, settings, world, boss):
    from fanzha.casework.alerts.models import Alert
    from fanzha.casework.police.clues import ClueError
    from fanzha.db import session_scope

    with session_scope(engine) as db:
        fraud_alert = db.execute(select(Alert.id).where(Alert.detector == "fraud_caller")).scalar_one()
    with pytest.raises(ClueError, match="simbox"):
        _create(engine, settings, boss, simbank_alert_ids=[fraud_alert])


def test_export_package_hashes_verify_and_tampering_is_caught(engine, settings, world, boss, officer):
    from openpyxl import load_workbook

    from fanzha.casework.audit.service import verify
    from fanzha.casework.police import clue_flows, clues
    from fanzha.casework.police.clues import ClueError
    from fanzha.casework.police.exports import verify_manifest
    from fanzha.db import session_scope

    bid, no = _create(engine, settings, boss, case_ids=[world.case_id], simbank_alert_ids=[world.simbank_alert_id])
    key = _key(settings)
    with session_scope(engine) as db:
        b = clue_flows.export(db, key=key, actor=boss, batch_id=bid, home=settings.home)
        folder, manifest_sha = settings.home / b.folder, b.manifest_sha256
    with session_scope(engine) as db:  # exporting again changes nothing
        assert clue_flows.export(db, key=key, actor=boss, batch_id=bid, home=settings.home).manifest_sha256 == manifest_sha
        files = {f.name: f.sha256 for f in clues.batch_files(db, batch_id=bid)}
    assert set(files) == {"lines.csv", "evidence.csv", "clues.xlsx", "summary.pdf", "manifest.json", f"{no}.zip"}
    assert files["manifest.json"] == manifest_sha
    assert sorted(p.name for p in folder.parent.iterdir()) == [no]  # no temporary folder left behind
    ok = verify_manifest(folder)
    assert ok.ok and ok.checked == 4
    assert verify_manifest(folder / f"{no}.zip").ok
    with (folder / "lines.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["号码"] for r in rows} == {FRAUD, SECOND, *SIMS}  # clear numbers: they are the clue
    fraud_row = next(r for r in rows if r["号码"] == FRAUD)
    assert (fraud_row["类型"], fraud_row["状态"], fraud_row["告警类型"]) == ("手机号码", "正常", "诈骗呼叫")  # in words
    assert all("三丰" not in r["机主(脱敏)"] for r in rows) and world.owner_id not in (folder / "lines.csv").read_text()
    wb = load_workbook(folder / "clues.xlsx")
    assert wb.sheetnames == ["线索号码", "证据", "批次信息"] and wb["线索号码"].max_row == len(rows) + 1
    assert wb["线索号码"]["B2"].value in {FRAUD, SECOND, *SIMS}
    assert (folder / "summary.pdf").read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftotext") and shutil.which("pdffonts"):  # poppler-utils (scripts/system-packages.sh)
        text = subprocess.run(["pdftotext", str(folder / "summary.pdf"), "-"], capture_output=True, text=True,
                              check=True).stdout  # fmt: skip
        assert "涉诈线索移交清单" in text and no in text and FRAUD in text and "咸宁市公安局反诈中心" in text
        fonts = subprocess.run(["pdffonts", str(folder / "summary.pdf")], capture_output=True, text=True).stdout
        assert any("CJK" in ln and " yes " in ln for ln in fonts.splitlines()), fonts  # embedded, not referenced
    with zipfile.ZipFile(folder / f"{no}.zip") as zf:
        assert sorted(zf.namelist()) == sorted(f"{no}/{n}" for n in files if not n.endswith(".zip"))

    with session_scope(engine) as db:
        name, data = clue_flows.download(db, key=key, actor=officer, batch_id=bid, name="lines.csv", home=settings.home)
        assert data == (folder / "lines.csv").read_bytes()
    (folder / "lines.csv").write_bytes(data.replace(FRAUD.encode(), b"13300000000"))  # someone edits the file
    bad = verify_manifest(folder)
    assert not bad.ok and bad.problems == ["lines.csv: SHA-256 differs (altered)"]
    with session_scope(engine) as db, pytest.raises(ClueError, match="SHA-256"):
        clue_flows.download(db, key=key, actor=officer, batch_id=bid, name="lines.csv", home=settings.home)
    with session_scope(engine) as db:
        assert verify(db, key=key).ok


def test_crash_mid_export_leaves_nothing_and_retry_resumes(engine, settings, world, boss, monkeypatch):
    from fanzha.casework.police import clue_flows, exports
    from fanzha.casework.police.models import ClueBatch
    from fanzha.db import session_scope

    bid, no = _create(engine, settings, boss, msisdns=[FRAUD])
    real = exports.summary_html
    monkeypatch.setattr(exports, "summary_html", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError), session_scope(engine) as db:
        clue_flows.export(db, key=_key(settings), actor=boss, batch_id=bid, home=settings.home)
    root = clue_flows.package_root(settings.home)
    assert list(root.iterdir()) == []
    with session_scope(engine) as db:
        assert db.get(ClueBatch, bid).status == "draft"
    monkeypatch.setattr(exports, "summary_html", real)
    with session_scope(engine) as db:
        b = clue_flows.export(db, key=_key(settings), actor=boss, batch_id=bid, home=settings.home)
        assert b.status == "exported"
    assert exports.verify_manifest(root / no).ok


def test_feedback_adds_up_and_counts_in_kpis(engine, settings, world, boss, officer):
    from fanzha.casework.context import utcnow
    from fanzha.casework.police import clue_flows, clues
    from fanzha.casework.police.clues import ClueError
    from fanzha.casework.police.schemas import FeedbackRequest
    from fanzha.casework.police.service import clue_stats
    from fanzha.db import session_scope

    key = _key(settings)
    bid, _ = _create(engine, settings, boss, simbank_alert_ids=[world.simbank_alert_id])
    _create(engine, settings, boss, msisdns=[OTHER])  # never exported: not counted
    with session_scope(engine) as db, pytest.raises(ClueError, match="尚未导出"):
        clue_flows.record_feedback(db, key=key, actor=officer, batch_id=bid, body=FeedbackRequest(arrests=1))
    with session_scope(engine) as db:
        clue_flows.export(db, key=key, actor=boss, batch_id=bid, home=settings.home)
    with session_scope(engine) as db:
        clue_flows.record_feedback(db, key=key, actor=officer, batch_id=bid,
                                   body=FeedbackRequest(arrests=2, devices_seized=1, cards_seized=64, note="捣毁窝点"))
        clue_flows.record_feedback(db, key=key, actor=officer, batch_id=bid, body=FeedbackRequest(arrests=1))
        with pytest.raises(ClueError, match="至少一项"):
            clue_flows.record_feedback(db, key=key, actor=officer, batch_id=bid, body=FeedbackRequest())
    now = utcnow()
    with session_scope(engine) as db:
        out = clues.present(db, clues.get_batch(db, batch_id=bid))
        assert (out.arrests, out.devices_seized, out.cards_seized) == (3, 1, 64)
        s = clue_stats(db, since=now - timedelta(hours=1), until=now + timedelta(hours=1))
        assert (s.batches, s.lines_sent, s.arrests, s.devices, s.cards) == (1, len(SIMS), 3, 1, 64)
        assert clue_stats(db, since=now - timedelta(days=2), until=now - timedelta(days=1)).batches == 0
