"""Training labels from casework outcomes, exported as the data contract's labels.csv (msisdn,label,since)
plus an ``outcome`` column (``confirmed`` | ``false_positive``).

A false positive (dismissed case, upheld appeal) is ``normal``. A confirmed line (actioned case, rejected
appeal) gets the label of the detector that caught it (``fraud_caller``, ``simbox``, ``resold`` for
resold_card, else ``mule``), and ``since`` = the earliest event time of its alerts. The newest outcome
per line wins. ``outcome`` tells training that people checked these lines: a ``false_positive`` line is
verified normal, never one of the fraud lines history failed to label (analytics.detectors.fraud_caller.train).
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanzha.casework.alerts.models import Alert
from fanzha.casework.appeals.models import TrainingLabel
from fanzha.casework.context import aware, utcnow

DETECTOR_LABEL = {"fraud_caller": "fraud_caller", "simbox": "simbox", "resold_card": "resold", "resold": "resold"}


def _confirmed_label(db: Session, msisdn: str) -> tuple[str, datetime | None]:
    row = db.execute(select(Alert.detector, func.min(Alert.event_time)).where(
        Alert.subject_type == "msisdn", Alert.subject_key == msisdn).group_by(Alert.detector)
        .order_by(func.max(Alert.score).desc()).limit(1)).first()  # fmt: skip
    if row is None:
        return "mule", None
    return DETECTOR_LABEL.get(row[0], "mule"), row[1]


def record_label(db: Session, *, msisdn: str, outcome: str, source: str) -> TrainingLabel:
    if outcome not in ("false_positive", "confirmed"):
        raise ValueError(f"outcome must be false_positive or confirmed, not {outcome!r}")
    label, since = ("normal", None) if outcome == "false_positive" else _confirmed_label(db, msisdn)
    row = TrainingLabel(msisdn=msisdn, outcome=outcome, label=label, since=since, source=source[:32],
                        decided_at=utcnow())  # fmt: skip
    db.add(row)
    return row


def latest_labels(db: Session) -> list[TrainingLabel]:
    newest = select(TrainingLabel.msisdn, func.max(TrainingLabel.id).label("id")).group_by(TrainingLabel.msisdn)
    sub = newest.subquery()
    return list(db.execute(select(TrainingLabel).join(sub, sub.c.id == TrainingLabel.id)
                           .order_by(TrainingLabel.msisdn)).scalars())  # fmt: skip


def export_labels(db: Session, *, path: Path) -> int:
    """Write labels.csv; returns the number of rows. ``since`` is ISO 8601 in China Standard Time."""
    from datetime import timedelta, timezone

    cst = timezone(timedelta(hours=8))
    rows = latest_labels(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["msisdn", "label", "since", "outcome"])
        for r in rows:
            since = aware(r.since)
            writer.writerow([r.msisdn, r.label, since.astimezone(cst).isoformat() if since else "", r.outcome])
    return len(rows)
