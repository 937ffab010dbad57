"""Alerts: merge within the window, group related alerts into one case, import alerts.csv idempotently."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta

from sqlalchemy import func, select

from fanzha.db import session_scope

T0 = datetime(2026, 5, 3, 21, 0)


def _raise(engine, settings, actor, **kw):
    from fanzha.casework.alerts.service import raise_alert

    args = dict(source="detector", subject_type="msisdn", detector="fraud_caller", score=0.6, reasons="r",
                event_time=T0)  # fmt: skip
    args.update(kw)
    with session_scope(engine) as db:
        out = raise_alert(db, actor=actor, settings=settings, **args)
        return out.alert.id, out.case_id, out.merged, out.duplicate


def test_merge_within_window_only(engine, settings, owners, actors):
    from fanzha.casework.alerts.models import Alert

    m = owners[1].msisdns[0]
    a1, c1, merged, _ = _raise(engine, settings, actors["system"], subject=m)
    assert not merged
    a2, c2, merged, _ = _raise(engine, settings, actors["system"], subject=m, source="report", detector="冒充客服",
                               score=0.8, event_time=T0 + timedelta(hours=settings.alert_merge_hours - 1))  # fmt: skip
    assert merged and c2 == c1
    with session_scope(engine) as db:
        primary = db.get(Alert, a1)
        assert primary.hits == 2 and primary.score == 0.8 and db.get(Alert, a2).merged_into_id == a1
    # outside the window: a new primary alert (same open case, via the line key)
    a3, c3, merged, _ = _raise(engine, settings, actors["system"], subject=m,
                               event_time=T0 + timedelta(hours=3 * settings.alert_merge_hours))  # fmt: skip
    assert not merged and c3 == c1
    with session_scope(engine) as db:
        assert db.get(Alert, a3).merged_into_id is None


def test_related_alerts_grouped_by_owner_device_ring(engine, settings, owners, actors):
    a = owners[0].msisdns
    _, c1, _, _ = _raise(engine, settings, actors["system"], subject=a[0])
    _, c2, _, _ = _raise(engine, settings, actors["system"], subject=a[1], detector="simbox")  # same ID owner
    assert c2 == c1
    _, c3, _, _ = _raise(engine, settings, actors["system"], subject="861234567890123", subject_type="imei",
                         detector="simbox", evidence={"msisdns": [owners[1].msisdns[0]]})  # fmt: skip
    _, c4, _, _ = _raise(engine, settings, actors["system"], subject=owners[2].msisdns[0],
                         evidence={"imei": "861234567890123"})  # same device → joins c3
    assert c3 != c1 and c4 == c3
    _, c5, _, _ = _raise(engine, settings, actors["system"], subject="CELL-1", subject_type="cell",
                         detector="cell_anomaly", evidence={"ring": "R7"})  # fmt: skip
    _, c6, _, _ = _raise(engine, settings, actors["system"], subject="13907159999", evidence={"ring_id": "R7"})
    assert c6 == c5 and c5 not in (c1, c3)


def test_id_subject_stored_masked_and_groups_owner_lines(engine, settings, owners, actors):
    from fanzha.casework.alerts.models import Alert
    from fanzha.casework.cases.models import CaseLine

    aid, cid, _, _ = _raise(engine, settings, actors["system"], subject=owners[0].id_no, subject_type="id_no",
                            detector="police", source="police")  # fmt: skip
    with session_scope(engine) as db:
        alert = db.get(Alert, aid)
        assert owners[0].id_no not in (alert.subject, alert.subject_key, alert.evidence)
        lines = set(db.execute(select(CaseLine.msisdn).where(CaseLine.case_id == cid,
                                                             CaseLine.relation == "subject")).scalars())  # fmt: skip
    assert lines == set(owners[0].msisdns)


def test_import_alerts_csv_idempotent_with_quarantine(engine, settings, owners, actors, tmp_path):
    from fanzha.casework.alerts.importer import import_alerts
    from fanzha.casework.alerts.models import Alert
    from fanzha.casework.measures.models import MeasureOrder

    path = tmp_path / "alerts.csv"
    rows = [
        ["a1", "msisdn", owners[1].msisdns[0], "fraud_caller", "0.99", "critical", "2026-05-03T21:15:02+08:00",
         "1小时外呼152次", json.dumps({"traffic": [["2026-05-03T20:00:00+08:00", 150, 148]]})],
        ["a2", "msisdn", owners[0].msisdns[0], "resold_card", "0.7", "medium", "2026-05-03T10:00:00+08:00", "轨迹异常", "{}"],
        ["a3", "msisdn", owners[0].msisdns[0], "fraud_caller", "1.7", "high", "", "bad score", "{}"],
        ["a4", "phone", "x", "fraud_caller", "0.5", "low", "", "bad type", "{}"],
    ]  # fmt: skip
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["alert_id", "subject_type", "subject", "detector", "score", "severity", "event_time", "reasons",
                    "evidence"])  # fmt: skip
        w.writerows(rows)
    first = import_alerts(engine, path=path, actor=actors["system"], settings=settings)
    assert (first.imported, first.duplicates, sum(first.quarantined.values()), first.orders) == (2, 0, 2, 1)
    assert first.quarantine_file is not None and len(first.quarantine_file.read_text().splitlines()) == 3
    second = import_alerts(engine, path=path, actor=actors["system"], settings=settings)
    assert (second.imported, second.duplicates) == (0, 2)
    with session_scope(engine) as db:
        assert db.execute(select(func.count()).select_from(Alert)).scalar_one() == 2
        assert db.execute(select(func.count()).select_from(MeasureOrder)).scalar_one() == 1


def test_imports_what_fanzha_detect_writes_across_runs(engine, settings, owners, actors, tmp_path):
    """alerts.csv from the detectors' own writer; a later run keeps the alert_id but has a new event_time."""
    import pandas as pd

    from fanzha.analytics.detectors.base import Alert as Candidate
    from fanzha.analytics.detectors.base import Reason
    from fanzha.analytics.detectors.output import write_alerts
    from fanzha.casework.alerts.importer import import_alerts
    from fanzha.casework.alerts.models import Alert

    def run(day: int, score: float):
        path = tmp_path / f"run{day}" / "alerts.csv"
        path.parent.mkdir()
        write_alerts([Candidate(subject_type="msisdn", subject=owners[1].msisdns[0], detector="fraud_caller",
                                score=score, event_time=pd.Timestamp(f"2026-05-0{day}T21:15:02+08:00"),
                                reasons=[Reason("calls_1h", 152, "1小时内外呼152次", "152 calls in 1 h", 1.0)],
                                evidence={"calls_1h": 152})], path)  # fmt: skip
        return import_alerts(engine, path=path, actor=actors["system"], settings=settings)

    first = run(3, 0.7)
    assert first.imported == 1 and not first.quarantined
    second = run(4, 0.8)  # next day's run: same alert_id, later event_time, within the 24 h window
    assert second.imported == 1 and second.merged == 1
    with session_scope(engine) as db:
        rows = db.execute(select(Alert).order_by(Alert.id)).scalars().all()
        assert rows[1].alert_id.startswith(rows[0].alert_id + "@") and rows[1].merged_into_id == rows[0].id
        assert rows[0].hits == 2 and rows[0].score == 0.8 and "1小时内外呼152次" in rows[0].reasons
