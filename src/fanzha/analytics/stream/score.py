"""One scoring pass of the monitor: the registered detectors, run on a context filled from the buckets.

The detectors decide exactly as in ``fanzha detect`` (same model, thresholds, reasons, evidence):

- ``fraud_caller`` scores a frame of 24 h line features; here the frame is composed from buckets
  (:func:`.buckets.line_features_sql`) for the lines touched since the last pass that made at least
  ``MIN_MODEL_CALLS`` outgoing calls in the window (fewer cannot alert: the detector caps them), and
  its two record-level hooks (rule-of-thumb hours, last record time) are answered from ``line_hour``;
- ``simbox`` turns SIM-bank groups into alerts; the groups come from the same co-behaviour decision as in
  batch (:func:`..detectors.cobehave.groups_at`) over the bucket tables (:func:`.buckets.box_sources`) at
  the window end; a member's first-alert time is that window end (the clock-hour end), as in batch;
- ``cell_anomaly`` compares each cell's hours in the window with the same hours of the week before
  (``cell_hour``), drivers and their stay from ``line_cell_hour`` (members of the window's SIM-bank groups
  stay in the cells their group went through); it runs once per new clock hour of
  event time (an hour's traffic against its baseline), not on every pass;
- ``resold_card`` replays the 6-hour blocks held for a week (``line_block``, ``line_block_attr``) of the
  dirty lines its SQL prefilter (contacts turnover) lets through, the block holding the watermark as it
  stands; only blocks inside the window can alert.

Checkpoint: the end of the clock hour holding the watermark (a window of whole buckets).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fanzha.analytics.detectors.base import Alert
from fanzha.analytics.detectors.cell_anomaly import CellAnomalyDetector, robust_z
from fanzha.analytics.detectors.cobehave import BoxRules, describe, groups_at
from fanzha.analytics.detectors.context import DetectionContext
from fanzha.analytics.detectors.fraud_caller import MIN_MODEL_CALLS, FraudCallerDetector
from fanzha.analytics.detectors.lines import WINDOW, static_features
from fanzha.analytics.detectors.resold_card import BLOCK_S, ResoldCardDetector, candidates_sql, score_blocks
from fanzha.analytics.detectors.simbox import SimboxDetector
from fanzha.analytics.stream import buckets
from fanzha.analytics.stream.state import StateStore

ONE_CHECKPOINT = 10**9  # a step longer than any window: the context has exactly one checkpoint
LINE_DETECTORS = ("fraud_caller", "simbox")  # their msisdn alerts start victim warnings
DETECTORS = ("fraud_caller", "simbox", "resold_card", "cell_anomaly")  # what a pass runs


class StreamingFraudCaller(FraudCallerDetector):
    """fraud_caller with its record-level hooks answered from the buckets."""

    def __init__(self, state: StateStore, lo: int, hi: int) -> None:
        super().__init__(step_s=ONE_CHECKPOINT)
        self.state, self.lo, self.hi = state, lo, hi

    def frames(self, ctx: DetectionContext):
        """The one checkpoint of a pass: the window's end, with the frame score_pass composed."""
        frame = ctx._cache.get(("line_frame", int(self.hi), WINDOW))
        if frame is not None:
            yield self.hi, frame

    def rule_hours(self, ctx: DetectionContext) -> pd.DataFrame:
        return ctx.memo("rule_hours", lambda: self.state.engine.df(buckets.rule_hours_sql(self.lo, self.hi, "_cand")))

    def last_times(self, ctx: DetectionContext, points: pd.DataFrame) -> pd.Series:
        if len(points) == 0:
            return pd.Series(dtype=float)
        last = self.state.engine.df(f"""
            SELECT msisdn, GREATEST(MAX(c_last), MAX(s_last)) AS last_ts FROM line_hour
            WHERE {buckets.window_where(self.lo, self.hi)} AND msisdn IN (SELECT msisdn FROM _cand)
            GROUP BY msisdn""").set_index("msisdn")["last_ts"]
        idx = pd.MultiIndex.from_arrays([points["msisdn"], points["as_of"]])
        return pd.Series(last.reindex(points["msisdn"]).to_numpy(), index=idx).dropna()


class StreamingCellAnomaly(CellAnomalyDetector):
    """cell_anomaly on ``cell_hour`` (a week of hours) and ``line_cell_hour`` (the window)."""

    def __init__(self, state: StateStore, lo: int, hi: int) -> None:
        super().__init__()
        self.state, self.lo, self.hi = state, lo, hi

    def flagged(self, ctx: DetectionContext) -> pd.DataFrame:
        def compute():
            since = self.hi - (self.rules.history_days + 1) * buckets.DAY
            hours = self.state.engine.df(buckets.cell_hours_sql(since, self.hi))
            if len(hours) == 0:
                return pd.DataFrame(columns=["cell_id", "hour_ts", "observed", "baseline", "z", "excess", "own_history"])
            z = robust_z(hours, self.rules)
            keep = (z["z"] >= self.rules.min_z) & (z["excess"] >= self.rules.min_excess) & (z["hour_ts"] >= self.lo) \
                & (z["hour_ts"] < self.hi)
            return z[keep].reset_index(drop=True)
        return ctx.memo((self.name, "flagged", self.rules), compute)

    def drivers(self, ctx: DetectionContext, flagged: pd.DataFrame) -> pd.DataFrame:
        self.state.con.register("_cell_hours", pd.DataFrame({
            "cell_id": flagged["cell_id"].astype(str).to_numpy(), "hour_ts": flagged["hour_ts"].astype(np.int64).to_numpy()}))
        return self.state.engine.df(buckets.cell_drivers_sql("_cell_hours"))

    def simbox_groups(self, ctx: DetectionContext) -> list[dict]:
        """The SIM-bank groups of this window (the simbox pass's, if it ran)."""
        rules = BoxRules()
        return ctx.memo(("simbox", "groups", rules), lambda: box_groups(self.state, self.lo, self.hi, rules))

    def staying(self, ctx: DetectionContext, drivers: pd.DataFrame) -> pd.Series:
        self.state.con.register("_cell_drivers", pd.DataFrame({
            "cell_id": drivers["cell_id"].astype(str).to_numpy(), "msisdn": drivers["msisdn"].astype(str).to_numpy()}))
        got = self.state.engine.df(buckets.cell_staying_sql("_cell_drivers"))
        return got.set_index(["cell_id", "msisdn"])["share"].fillna(0.0)


class StreamingResoldCard(ResoldCardDetector):
    """resold_card on the blocks held in ``line_block``/``line_block_attr`` for the dirty lines that pass its
    prefilter; the block holding the watermark is judged as it stands (the block so far)."""

    def __init__(self, state: StateStore, lo: int, hi: int, upto: int | None) -> None:
        super().__init__()
        self.state, self.lo, self.hi, self.upto = state, lo, hi, upto

    def scored(self, ctx: DetectionContext) -> pd.DataFrame:
        def compute():
            empty = pd.DataFrame(columns=["msisdn", "block_ts", "at", "last_ts", "score", "fired"])
            dirty = "SELECT msisdn FROM dirty" + (f" WHERE COALESCE(seq, 0) <= {int(self.upto)}" if self.upto is not None else "")
            self.state.con.execute("CREATE OR REPLACE TEMP TABLE _resold AS "
                                   + candidates_sql(self.rules, dirty, since=self.lo - BLOCK_S))
            frame = self.state.engine.df(buckets.resold_blocks_sql("_resold"))
            if len(frame) == 0:
                return empty
            frame["at"] = np.minimum(frame["block_ts"].astype(np.int64) + BLOCK_S, self.hi)
            for col in ("imeis", "peers", "cells"):
                frame[col] = frame[col].map(lambda v: frozenset(v) if v is not None else frozenset())
            frame["regions"] = [Counter(dict(zip(v, n, strict=True))) if v is not None else Counter()
                                for v, n in zip(frame["region_values"], frame["region_counts"], strict=True)]
            out = score_blocks(frame, ctx.subscribers(), self.rules)
            return out[out["block_ts"] + BLOCK_S > self.lo].reset_index(drop=True)  # alerts from the window only
        return ctx.memo((self.name, "scored", self.rules), compute)


@dataclass
class ScorePass:
    as_of: int | None
    candidates: int = 0
    alerts: list[Alert] = field(default_factory=list)
    cells_hi: int | None = None  # the window end cell_anomaly ran for (the caller records it once stored)


def load_subscribers(path: Path | None) -> pd.DataFrame:
    """Contract subscribers file → the frame ``DetectionContext.subscribers()`` gives (msisdn index)."""
    cols = ("msisdn", "line_type", "id_no", "open_time", "occupation", "status")
    if path is None:
        return pd.DataFrame(columns=list(cols)).set_index("msisdn")
    path = Path(path)
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str, keep_default_na=False)
    for c in cols:
        if c not in frame:
            frame[c] = None
    return frame.replace({"": None}).drop_duplicates("msisdn").set_index("msisdn")


def box_groups(state: StateStore, lo: int, hi: int, rules: BoxRules) -> list[dict]:
    """SIM-bank groups (the dicts SimboxDetector.detect turns into alerts) from the buckets of the window."""
    src = buckets.box_sources()
    groups = groups_at(state.engine, src, lo, hi, rules)
    for g in groups:
        g.update(line_first_alert_time={m: g["found_ts"] for m in g["lines"]}, first_alert_ts=g["found_ts"])
    describe(state.engine, src, lo, hi, groups, rules)
    return groups


def score_pass(state: StateStore, *, models: dict[str, Any], subscribers: pd.DataFrame,
               detectors: tuple[str, ...] = DETECTORS, skip: set[str] | frozenset = frozenset(),
               upto: int | None = None, static_facts: pd.DataFrame | None = None,
               cells_scored_hi: int | None = None) -> ScorePass:
    """Score the lines touched since the last pass (dirty up to apply transaction ``upto``; all if None);
    the caller clears ``dirty`` up to the same ``upto`` once alerts are stored.
    ``skip``: lines fraud_caller need not score again (already alerted within the re-alert window).
    ``static_facts``: the owners' registration facts worked out once by the caller (``registration_facts``).
    ``cells_scored_hi``: the window end cell_anomaly last ran for (it runs once per window end)."""
    win = state.window()
    if win is None:
        return ScorePass(as_of=None)
    lo, hi = win
    state.con.execute(f"CREATE OR REPLACE TEMP TABLE _cand AS {buckets.candidates_sql(lo, hi, MIN_MODEL_CALLS, upto)}")
    if skip:
        state.con.register("_skip", pd.DataFrame({"msisdn": np.asarray(sorted(skip), dtype=object)}))
        state.con.execute("DELETE FROM _cand WHERE msisdn IN (SELECT msisdn FROM _skip)")
    n_cand = int(state.con.execute("SELECT COUNT(*) FROM _cand").fetchall()[0][0])
    ctx = DetectionContext(engine=state.engine, start=hi - 1, end=hi - 1, models=dict(models),
                           options={"step_s": ONE_CHECKPOINT})
    ctx._cache["subscribers"] = subscribers
    if static_facts is not None:
        ctx._cache["static_facts"] = static_facts
    out = ScorePass(as_of=hi, candidates=n_cand)
    if "fraud_caller" in detectors and n_cand:
        # The victims' profile reads the owners' registration (the subscribers file) beside the buckets.
        state.con.register("_subs", subscribers.reset_index()[["msisdn", "id_no", "occupation"]])
        frame = state.engine.df(buckets.line_features_sql(lo, hi, "_cand", WINDOW, subs="_subs")).set_index("msisdn")
        frame = frame.apply(pd.to_numeric, errors="coerce").astype(float)
        frame = frame.join(static_features(ctx, hi), how="left")
        ctx._cache[("line_frame", int(hi), WINDOW)] = frame
        out.alerts.extend(StreamingFraudCaller(state, lo, hi).detect(ctx))
    if "simbox" in detectors and state.dirty_count(upto):
        det = SimboxDetector()
        ctx._cache[(det.name, "groups", det.rules)] = box_groups(state, lo, hi, det.rules)
        out.alerts.extend(det.detect(ctx))
    if "resold_card" in detectors and state.dirty_count(upto):
        out.alerts.extend(StreamingResoldCard(state, lo, hi, upto).detect(ctx))
    if "cell_anomaly" in detectors and cells_scored_hi != hi:
        out.alerts.extend(StreamingCellAnomaly(state, lo, hi).detect(ctx))
        out.cells_hi = hi
    return out


def reached(state: StateStore, lines: list[str]) -> pd.DataFrame:
    """Peers the given lines called or texted in the current window (for victim warnings)."""
    win = state.window()
    if win is None or not lines:
        return pd.DataFrame(columns=["fraud_msisdn", "peer", "contacts", "longest_s", "last_ts"])
    state.con.register("_reached_lines", pd.DataFrame({"msisdn": np.asarray(lines, dtype=object)}))
    return state.engine.df(buckets.reached_sql(win[0], win[1], "_reached_lines"))
