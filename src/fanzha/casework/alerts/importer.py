"""``fanzha alerts import DIR/alerts.csv``: the detectors' output into the inbox, idempotent by alert_id.

Rows that break the contract are never dropped silently: each goes, with its reason, to a quarantine file
(``<home>/imports/alerts-quarantine-<time>.csv``) and is counted. Commits every ``batch`` rows, so an
interrupted import resumes by running it again (alert ids already stored are skipped).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from fanzha.casework.alerts.service import raise_alert
from fanzha.casework.auth.principal import Principal
from fanzha.casework.context import utcnow
from fanzha.config import Settings, get_settings

REQUIRED = ["alert_id", "subject_type", "subject", "detector", "score", "severity", "event_time", "reasons",
            "evidence"]  # fmt: skip


@dataclass
class ImportSummary:
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    merged: int = 0
    cases: set[int] = field(default_factory=set)
    orders: int = 0
    quarantined: Counter = field(default_factory=Counter)
    quarantine_file: Path | None = None


def _row_args(row: dict) -> dict:
    evidence = json.loads(row["evidence"]) if row.get("evidence") else {}
    if not isinstance(evidence, dict):
        raise ValueError("evidence is not a JSON object")
    when = row.get("event_time") or ""
    return dict(
        alert_id=row["alert_id"].strip(), subject_type=row["subject_type"].strip(), subject=row["subject"].strip(),
        detector=row["detector"].strip(), score=float(row["score"]), severity=(row.get("severity") or "").strip() or None,
        reasons=row.get("reasons") or "", evidence=evidence,
        event_time=datetime.fromisoformat(when.strip()) if when.strip() else None,
    )  # fmt: skip


def count_rows(path: Path) -> int:
    with open(path, encoding="utf-8", newline="") as fh:
        return max(sum(1 for _ in fh) - 1, 0)


def import_alerts(
    engine: Engine, *, path: Path, actor: Principal, settings: Settings | None = None, batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:  # fmt: skip
    settings = settings or get_settings()
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    summary = ImportSummary()
    bad: list[dict] = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path} lacks columns: {', '.join(missing)}")
        db = factory()
        try:
            for i, row in enumerate(reader, 1):
                summary.rows += 1
                try:
                    args = _row_args(row)
                    with db.begin_nested():  # a bad row rolls back alone
                        out = raise_alert(db, source="detector", actor=actor, settings=settings, **args)
                except (ValueError, KeyError, TypeError) as exc:
                    reason = str(exc).split(":")[0][:80] or type(exc).__name__
                    summary.quarantined[reason] += 1
                    bad.append({**{k: row.get(k, "") for k in REQUIRED}, "reason": str(exc)[:200]})
                    continue
                if out.duplicate:
                    summary.duplicates += 1
                else:
                    summary.imported += 1
                    summary.merged += out.merged
                    summary.orders += len(out.orders)
                if out.case_id:
                    summary.cases.add(out.case_id)
                if i % batch == 0:
                    db.commit()
                if progress:
                    progress(1)
            db.commit()
        finally:
            db.close()
    if bad:
        folder = settings.home / "imports"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"alerts-quarantine-{utcnow():%Y%m%dT%H%M%S}.csv"
        with open(target, "w", encoding="utf-8", newline="") as out_fh:
            writer = csv.DictWriter(out_fh, fieldnames=[*REQUIRED, "reason"])
            writer.writeheader()
            writer.writerows(bad)
        summary.quarantine_file = target
    return summary
