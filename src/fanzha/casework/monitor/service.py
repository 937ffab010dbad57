"""What the monitor writes to the application database: files and their lag, alerts raised exactly once.

    lag_stats(db, since, until)   # files scored in [since, until): count, p50/p95/p99/max lag in seconds
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanzha.casework.alerts.service import raise_alert
from fanzha.casework.auth.principal import Principal
from fanzha.casework.context import aware, utcnow
from fanzha.casework.monitor.models import MonitorAlert, MonitorFile
from fanzha.config import Settings


def record_arrival(db: Session, *, name: str, kind: str, arrived_at: datetime, origin: str = "drop") -> MonitorFile:
    """The row of a claimed file (idempotent on the inbox name)."""
    row = db.execute(select(MonitorFile).where(MonitorFile.name == name)).scalar_one_or_none()
    if row is None:
        row = MonitorFile(name=name[:255], kind=kind, origin=origin, status="received", arrived_at=arrived_at)
        db.add(row)
        db.flush()
    return row


def mark_applied(db: Session, *, name: str, rows_read: int, rows_stored: int, rows_quarantined: int, rows_late: int,
                 at: datetime | None = None) -> None:
    row = db.execute(select(MonitorFile).where(MonitorFile.name == name)).scalar_one()
    if row.status in ("received",):
        row.status = "applied"
        row.applied_at = at or utcnow()
        row.rows_read, row.rows_stored = rows_read, rows_stored
        row.rows_quarantined, row.rows_late = rows_quarantined, rows_late


def mark_rejected(db: Session, *, name: str, report: str, rows_read: int = 0, rows_quarantined: int = 0) -> None:
    row = db.execute(select(MonitorFile).where(MonitorFile.name == name)).scalar_one()
    row.status = "rejected"
    row.report = report[:4000]
    row.rows_read, row.rows_quarantined = rows_read, rows_quarantined


def mark_scored(db: Session, *, names: list[str], at: datetime, alerts: int) -> list[float]:
    """These applied files are now reflected in the alerts (committed with them): their lag is final."""
    lags = []
    if not names:
        return lags
    rows = []
    for i in range(0, len(names), 500):
        rows.extend(db.execute(select(MonitorFile).where(MonitorFile.status == "applied",
                                                         MonitorFile.name.in_(names[i:i + 500]))).scalars())
    for row in rows:
        row.status = "scored"
        row.scored_at = at
        row.alerts = alerts
        row.lag_s = max(0.0, (at - aware(row.arrived_at)).total_seconds())
        lags.append(row.lag_s)
    return lags


@dataclass
class Raised:
    raised: list[dict] = field(default_factory=list)  # the alert dicts actually stored
    skipped: int = 0  # already raised within the re-alert window (e.g. re-scored after a restart)
    order_ids: list[int] = field(default_factory=list)
    case_ids: set[int] = field(default_factory=set)

    def merge(self, other: Raised) -> None:
        self.raised.extend(other.raised)
        self.skipped += other.skipped
        self.order_ids.extend(other.order_ids)
        self.case_ids |= other.case_ids


def raise_once(db: Session, *, alerts: list[dict], actor: Principal, settings: Settings, now: datetime | None = None) -> Raised:
    """Raise each alert unless the monitor raised one for the same (detector, subject) within
    ``monitor_realert_hours``. Runs in the caller's transaction, which also records what was raised."""
    now = now or utcnow()
    window = timedelta(hours=settings.monitor_realert_hours)
    out = Raised()
    for a in alerts:
        key = (a["detector"][:32], a["subject_type"], str(a["subject"])[:64])
        prev = db.execute(select(MonitorAlert).where(MonitorAlert.detector == key[0], MonitorAlert.subject_type == key[1],
                                                     MonitorAlert.subject == key[2])).scalar_one_or_none()
        if prev is not None and aware(prev.raised_at) > now - window:
            out.skipped += 1
            continue
        with db.begin_nested():
            outcome = raise_alert(db, source="monitor", subject_type=a["subject_type"], subject=str(a["subject"]),
                                  detector=a["detector"], score=a["score"], severity=a.get("severity"),
                                  reasons=a.get("reasons", ""), evidence=a.get("evidence") or {},
                                  event_time=a.get("event_time"), actor=actor, settings=settings)
            if prev is None:
                prev = MonitorAlert(detector=key[0], subject_type=key[1], subject=key[2])
                db.add(prev)
            prev.alert_id, prev.score, prev.event_time, prev.raised_at = (
                outcome.alert.alert_id, float(a["score"]), a.get("event_time"), now)
            db.flush()
        out.raised.append(a)
        out.order_ids.extend(o.id for o in outcome.orders)
        if outcome.case_id:
            out.case_ids.add(outcome.case_id)
    return out


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def lag_stats(db: Session, since: datetime, until: datetime) -> dict:
    """Lag from a file's arrival to its alerts being stored, over files scored in [since, until)."""
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    lags = list(db.execute(select(MonitorFile.lag_s).where(
        MonitorFile.scored_at >= since, MonitorFile.scored_at < until, MonitorFile.lag_s.is_not(None))).scalars())
    rows = db.execute(select(func.coalesce(func.sum(MonitorFile.rows_read), 0),
                             func.coalesce(func.sum(MonitorFile.rows_quarantined), 0)).where(
        MonitorFile.arrived_at >= since, MonitorFile.arrived_at < until)).one()
    rejected = db.execute(select(func.count()).select_from(MonitorFile).where(
        MonitorFile.status == "rejected", MonitorFile.arrived_at >= since, MonitorFile.arrived_at < until)).scalar_one()
    return {
        "files": len(lags), "rows_read": int(rows[0]), "rows_quarantined": int(rows[1]), "files_rejected": int(rejected),
        "p50_s": _quantile(lags, 0.5), "p95_s": _quantile(lags, 0.95), "p99_s": _quantile(lags, 0.99),
        "max_s": max(lags) if lags else None, "mean_s": sum(lags) / len(lags) if lags else None,
    }


def lag_series(db: Session, since: datetime, until: datetime, *, limit: int = 2000) -> list[tuple[datetime, float]]:
    """(scored_at, lag_s) per file, oldest first, for a chart of the lag over time."""
    rows = db.execute(select(MonitorFile.scored_at, MonitorFile.lag_s).where(
        MonitorFile.scored_at >= since.astimezone(UTC), MonitorFile.scored_at < until.astimezone(UTC),
        MonitorFile.lag_s.is_not(None)).order_by(MonitorFile.scored_at).limit(limit)).all()
    return [(aware(t), float(v)) for t, v in rows]
