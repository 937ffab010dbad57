"""One scoring pass of the monitor: the registered detectors, run on a context filled from the buckets.

The detectors decide exactly as in ``fanzha detect`` (same model, thresholds, reasons, evidence):

- ``fraud_caller`` scores a frame of 24 h line features; here the frame is composed from buckets
  (:func:`.buckets.line_features_sql`) for the lines touched since the last pass that made at least
  ``MIN_MODEL_CALLS`` outgoing calls in the window (fewer cannot alert: the detector caps them), and
  its two record-level hooks (rule-of-thumb hours, last record time) are answered from ``line_hour``;
- ``simbox`` turns SIM-bank groups into alerts; here the groups come from the bucket tables
  (:func:`.buckets.box_lines_sql`); the first-alert time of a member is its first outgoing call on the
  device or in the cell (bucket precision) rather than its 3rd.

Checkpoint: the end of the clock hour holding the watermark (a window of whole buckets).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fanzha.analytics.detectors.base import Alert
from fanzha.analytics.detectors.context import DetectionContext
from fanzha.analytics.detectors.fraud_caller import MIN_MODEL_CALLS, FraudCallerDetector
from fanzha.analytics.detectors.lines import WINDOW, static_features
from fanzha.analytics.detectors.simbox import BoxRules, SimboxDetector, group_score
from fanzha.analytics.stream import buckets
from fanzha.analytics.stream.state import StateStore

ONE_CHECKPOINT = 10**9  # a step longer than any window: the context has exactly one checkpoint
LINE_DETECTORS = ("fraud_caller", "simbox")  # their msisdn alerts start victim warnings


class StreamingFraudCaller(FraudCallerDetector):
    """fraud_caller with its record-level hooks answered from the buckets."""

    def __init__(self, state: StateStore, lo: int, hi: int) -> None:
        super().__init__(step_s=ONE_CHECKPOINT)
        self.state, self.lo, self.hi = state, lo, hi

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


@dataclass
class ScorePass:
    as_of: int | None
    candidates: int = 0
    alerts: list[Alert] = field(default_factory=list)


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
    """SIM-bank groups (the dicts SimboxDetector.detect turns into alerts) from the buckets."""
    lines = state.engine.df(buckets.box_lines_sql(lo, hi, rules.min_calls_out, rules.min_out_share,
                                                  rules.min_main_cell_share))
    if len(lines) == 0:
        return []
    state.con.register("_box", lines[["msisdn"]])
    calls = state.engine.df(buckets.member_calls_sql(lo, hi, "_box"))
    prof = lines.set_index("msisdn")
    groups = []
    for kind, min_lines in (("imei", rules.min_lines_imei), ("cell", rules.min_lines_cell)):
        part = calls[(calls["kind"] == kind) & (calls["calls_out"] >= rules.nth_call)]
        for subject, members in part.groupby("subject"):
            members = members.set_index("msisdn")
            if kind == "cell":
                members = members[prof.loc[members.index, "main_cell"].to_numpy() == subject]
            if len(members) < min_lines:
                continue
            ordered = members["first_ts"].sort_values()
            group_ts = int(ordered.iloc[min_lines - 1])
            p = prof.loc[members.index]
            out_share = float((p["calls_out"] / (p["calls_out"] + p["calls_in"])).mean())
            short = float(p["short_share"].fillna(0).mean())
            groups.append({
                "kind": kind, "subject": str(subject), "lines": sorted(members.index.astype(str)),
                "line_first_alert_time": {m: int(max(group_ts, t)) for m, t in members["first_ts"].items()},
                "first_alert_ts": group_ts, "last_ts": int(members["last_ts"].max()),
                "calls_out": int(members["calls_out"].sum()), "out_share": out_share, "short_share": short,
                "score": group_score(len(members), out_share, short, min_lines), "sim_switches": None,
            })
    return groups


def score_pass(state: StateStore, *, models: dict[str, Any], subscribers: pd.DataFrame,
               detectors: tuple[str, ...] = LINE_DETECTORS, skip: set[str] | frozenset = frozenset(),
               upto: int | None = None, static_facts: pd.DataFrame | None = None) -> ScorePass:
    """Score the lines touched since the last pass (dirty up to apply transaction ``upto``; all if None);
    the caller clears ``dirty`` up to the same ``upto`` once alerts are stored.
    ``skip``: lines fraud_caller need not score again (already alerted within the re-alert window).
    ``static_facts``: the owners' registration facts worked out once by the caller (:func:`owner_facts`)."""
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
        frame = state.engine.df(buckets.line_features_sql(lo, hi, "_cand", WINDOW)).set_index("msisdn")
        frame = frame.apply(pd.to_numeric, errors="coerce").astype(float)
        frame = frame.join(static_features(ctx, hi), how="left")
        ctx._cache[("line_frame", int(hi), WINDOW)] = frame
        out.alerts.extend(StreamingFraudCaller(state, lo, hi).detect(ctx))
    if "simbox" in detectors and state.dirty_count(upto):
        det = SimboxDetector()
        ctx._cache[(det.name, "groups", det.rules)] = box_groups(state, lo, hi, det.rules)
        out.alerts.extend(det.detect(ctx))
    return out


def owner_facts(subscribers: pd.DataFrame) -> pd.DataFrame:
    """The registration facts :func:`static_features` derives from the subscribers (line type, opening,
    lines per ID, birth year, student), once for the monitor's life instead of once per pass."""
    ctx = DetectionContext(engine=None, start=0, end=0, models={}, options={})
    ctx._cache["subscribers"] = subscribers
    static_features(ctx, 0)
    return ctx._cache["static_facts"]


def reached(state: StateStore, lines: list[str]) -> pd.DataFrame:
    """Peers the given lines called or texted in the current window (for victim warnings)."""
    win = state.window()
    if win is None or not lines:
        return pd.DataFrame(columns=["fraud_msisdn", "peer", "contacts", "longest_s", "last_ts"])
    state.con.register("_reached_lines", pd.DataFrame({"msisdn": np.asarray(lines, dtype=object)}))
    return state.engine.df(buckets.reached_sql(win[0], win[1], "_reached_lines"))
