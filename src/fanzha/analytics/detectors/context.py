"""What a detector sees: an engine with the contract tables registered, the time span, models.

``open_context`` ingests the operator's files through the analytics ingest (so bad rows are
quarantined, never dropped silently) into a run folder and registers ``cdr``, ``sms``,
``subscribers`` and ``cells`` on a DuckDB engine. Feature frames are memoised per context, so
several detectors asking for the same window pay once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fanzha.analytics.engines.base import Engine

HOUR = 3600
DAY = 86400
CST_OFFSET_S = 8 * HOUR


@dataclass
class DetectionContext:
    engine: Engine
    start: int | None  # epoch s of the first record (None: no records)
    end: int | None  # epoch s of the last record
    models: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def empty(self) -> bool:
        return self.start is None

    def df(self, sql: str) -> pd.DataFrame:
        if sql not in self._cache:
            self._cache[sql] = self.engine.df(sql)
        return self._cache[sql]

    def memo(self, key: Any, compute) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def checkpoints(self, step_s: int) -> list[int]:
        """Scoring times: every ``step_s`` on the local (+08:00) clock after the first record, and the
        moment just after the last record — a batch run replays what a live monitor would have seen."""
        if self.empty:
            return []
        first = ((self.start + CST_OFFSET_S) // step_s + 1) * step_s - CST_OFFSET_S
        points = list(range(first, self.end + 1, step_s))
        if not points or points[-1] < self.end + 1:
            points.append(self.end + 1)
        return points

    def subscribers(self) -> pd.DataFrame:
        """Contract subscribers (msisdn-indexed); empty frame with the columns if none were given."""
        def load():
            frame = self.engine.df("SELECT * FROM subscribers")
            for col in ("msisdn", "line_type", "id_no", "open_time", "occupation", "status"):
                if col not in frame:
                    frame[col] = None
            return frame.drop_duplicates("msisdn").set_index("msisdn")
        return self.memo("subscribers", load)


def _span(engine: Engine) -> tuple[int | None, int | None]:
    row = engine.df("SELECT MIN(ts) AS lo, MAX(ts) AS hi FROM (SELECT ts FROM cdr UNION ALL SELECT ts FROM sms) x")
    lo, hi = row["lo"].iloc[0], row["hi"].iloc[0]
    if pd.isna(lo):
        return None, None
    return int(lo), int(hi)


def open_context(
    *,
    workdir: Path,
    cdr: Path | None,
    sms: Path | None = None,
    subscribers: Path | None = None,
    cells: Path | None = None,
    models: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    progress=None,
) -> tuple[DetectionContext, dict]:
    """Ingest inputs into ``workdir/store`` and return (context, ingest summary as dict)."""
    from fanzha.analytics.engines import get_engine
    from fanzha.analytics.ingest import ingest
    from fanzha.analytics.inputs import register_inputs

    store = Path(workdir) / "store"
    summary = ingest(store=store, cdr=cdr, sms=sms, progress=progress).to_dict()
    engine = get_engine("duckdb")
    register_inputs(engine, store=store, subscribers=subscribers, cells=cells)
    start, end = _span(engine)
    ctx = DetectionContext(engine=engine, start=start, end=end, models=dict(models or {}), options=dict(options or {}))
    return ctx, summary


def epoch_to_time(ts: int | float | None) -> pd.Timestamp | None:
    if ts is None or pd.isna(ts):
        return None
    return pd.Timestamp(dt.datetime.fromtimestamp(int(ts), dt.UTC)).tz_convert("Asia/Shanghai")
