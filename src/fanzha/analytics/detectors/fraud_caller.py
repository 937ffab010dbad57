"""fraud_caller: lines making bulk outbound calls to strangers (诈骗电话).

Scored at checkpoints (default: each local midnight and the end of the data) on the last 24 h of
behaviour, as a live monitor would; the rule of thumb is checked every clock hour:

* transparent rules — the operators' rule of thumb (> 100 outgoing calls in one clock hour, mostly
  ≤ 10 s) and a points score over signs of bulk calling to strangers (volume, outbound share,
  no callbacks, one call per peer, short calls, fresh or bulk-opened line);
* with a trained model (``fanzha train``), LightGBM on the same features; its probability is
  mapped so that the model's alert threshold lands on 0.5, and the reasons are the features that
  contributed most to that line's score (``pred_contrib``).

A rule-of-thumb hit always alerts (score ≥ 0.9): operators act on it today.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fanzha.analytics.detectors.base import Alert, Reason, register
from fanzha.analytics.detectors.context import HOUR, DetectionContext, epoch_to_time
from fanzha.analytics.detectors.explain import feature_reason
from fanzha.analytics.detectors.lines import WINDOW, hourly_out, last_record, line_frame

STEP_S = HOUR  # a checkpoint at the end of every clock hour, as the live monitor scores; `--step-hours` for coarser
TRAIN_STEP_S = 24 * HOUR  # training rows: one checkpoint per local day (a 24 h window each)
ALERT_AT = 0.5
# (feature, test, weight, zh, en) — the points score used without a model.
SIGNS = (
    ("calls_out_24h", lambda v: v >= 40, 2.0, "24小时外呼≥40次", "≥ 40 outgoing calls in 24 h"),
    ("out_share_24h", lambda v: v >= 0.85, 1.0, "主叫占比≥85%", "≥ 85 % of calls outgoing"),
    ("callback_share_24h", lambda v: v <= 0.05, 1.0, "几乎无回拨", "almost no peer calls back"),
    ("calls_per_peer_24h", lambda v: v <= 1.3, 1.0, "对端多为一次性联系", "peers called about once each"),
    ("short_call_share_24h", lambda v: v >= 0.4, 1.0, "短通话(≤10秒)占比≥40%", "≥ 40 % of calls ≤ 10 s"),
    ("lines_per_id", lambda v: v >= 4, 0.5, "同证件≥4个号码", "≥ 4 lines under the owner's ID"),
)
VOLUME = "calls_out_24h"
MIN_MODEL_CALLS = 10
# Slow, careful callers (15-40 calls a day, more answered, longer) never reach the volume sign, and a
# model trained on bulk callers scores them low. They alert on the signs that need no volume, all at once:
# almost only outgoing, to strangers, nobody calls back, our own subscribers reached for the first time,
# and either a young line or an old one whose outgoing share broke from its own baseline (a bought old
# line: its absolute levels look like its owner's, its shares do not).
# (feature, test, zh, en); thresholds chosen on a training province (seed 21; docs/detection.md).
QUIET_SIGNS = (
    ("calls_out_24h", lambda v: v >= 15, "24小时外呼≥15次", "≥ 15 outgoing calls in 24 h"),
    ("out_share_24h", lambda v: v >= 0.9, "主叫占比≥90%", "≥ 90 % of calls outgoing"),
    ("new_peer_share_24h", lambda v: v >= 0.9, "外呼对象≥90%为新号码", "≥ 90 % of the peers called are new to the line"),
    ("callback_share_24h", lambda v: v <= 0.05, "几乎无回拨", "almost no peer calls back"),
    ("calls_per_peer_24h", lambda v: v <= 1.3, "对端多为一次性联系", "peers called about once each"),
    ("own_new_peers_24h", lambda v: v >= 10, "首次联系本网用户≥10人", "≥ 10 own subscribers reached for the first time"),
)
YOUNG_DAYS = 60  # a line opened this recently has no own past to break from
BREAK_BLOCKS = 4  # baseline 6-hour blocks needed to judge a break (a day of the line's own traffic)
BREAK_OUT_SHARE = 0.3  # rise of the outgoing share over the line's own baseline
QUIET_SCORE = 0.6


def rule_scores(frame: pd.DataFrame) -> pd.Series:
    """Points score 0..1; without the volume sign a line stays below the alert level."""
    if len(frame) == 0:
        return pd.Series(dtype=float)
    total = sum(sign[2] for sign in SIGNS)
    points = pd.Series(0.0, index=frame.index)
    for feat, test, w, _, _ in SIGNS:
        if feat in frame:
            points += test(frame[feat]).fillna(False).astype(float) * w
    score = points / total
    volume = frame[VOLUME].fillna(0) >= 40 if VOLUME in frame else pd.Series(False, index=frame.index)
    return score.where(volume, np.minimum(score, ALERT_AT - 0.05)).clip(0, 1)


def _col(frame: pd.DataFrame, feat: str) -> pd.Series:
    return pd.to_numeric(frame[feat], errors="coerce") if feat in frame else pd.Series(np.nan, index=frame.index)


def quiet_break(frame: pd.DataFrame) -> pd.Series:
    """A young line, or an old one whose outgoing share broke from its own baseline (index of frame)."""
    young = _col(frame, "line_age_days") <= YOUNG_DAYS
    broke = (_col(frame, "base_blocks_24h") >= BREAK_BLOCKS) & (_col(frame, "out_share_break_24h") >= BREAK_OUT_SHARE)
    return young | broke


def quiet_hits(frame: pd.DataFrame) -> np.ndarray:
    """Lines meeting every quiet sign and the break (see QUIET_SIGNS)."""
    hit = quiet_break(frame)
    for feat, test, _, _ in QUIET_SIGNS:
        hit &= test(_col(frame, feat)).fillna(False)
    return hit.to_numpy(dtype=bool)


def quiet_reasons(row: pd.Series) -> list[Reason]:
    out = [Reason("quiet_caller", 1, "无需话务量的迹象同时出现（慢速外呼）", "every sign that needs no volume at once (slow caller)",
                  QUIET_SCORE)]
    for feat, _, zh, en in QUIET_SIGNS:
        r = feature_reason(feat, row.get(feat), 1.0)
        out.append(Reason(feat, row.get(feat), f"{zh} ({r.zh})", f"{en} ({r.en})", 1.0))
    age = row.get("line_age_days")
    if pd.notna(age) and age <= YOUNG_DAYS:
        out.append(Reason("line_age_days", age, f"新开号码（开户{age:.0f}天）", f"young line (opened {age:.0f} days ago)", 1.0))
    else:
        r = feature_reason("out_share_break_24h", row.get("out_share_break_24h"), 1.0)
        out.append(Reason("out_share_break_24h", row.get("out_share_break_24h"), f"主叫占比较自身基线突增 ({r.zh})",
                          f"outgoing share broke from the line's own baseline ({r.en})", 1.0))
    return out


def score_frame(frame: pd.DataFrame, model) -> np.ndarray:
    """Scores of one checkpoint's frame: the model (or the points score), and the quiet-caller rule."""
    if model is not None:
        score = calibrate(model.predict(frame), model.threshold)
        # Bulk calling needs bulk: a line with few outgoing calls that day stays below the alert level.
        few = frame[VOLUME].fillna(0).to_numpy() < MIN_MODEL_CALLS
        score = np.where(few, np.minimum(score, ALERT_AT - 0.05), score)
    else:
        score = rule_scores(frame).to_numpy()
    return np.where(quiet_hits(frame), np.maximum(score, QUIET_SCORE), score)


def rule_reasons(row: pd.Series) -> list[Reason]:
    out = []
    for feat, test, w, zh, en in SIGNS:
        v = row.get(feat, np.nan)
        if pd.notna(v) and test(v):
            r = feature_reason(feat, v, w)
            out.append(Reason(feat, v, f"{zh} ({r.zh})", f"{en} ({r.en})", w))
    return out


def calibrate(p: np.ndarray, threshold: float) -> np.ndarray:
    """Map model probabilities so that its alert threshold becomes 0.5 (monotone, 0..1)."""
    p = np.asarray(p, dtype=float)
    t = min(max(threshold, 1e-6), 1 - 1e-6)
    return np.where(p < t, 0.5 * p / t, 0.5 + 0.5 * (p - t) / (1 - t)).clip(0, 1)


@register
class FraudCallerDetector:
    name = "fraud_caller"

    def __init__(self, *, step_s: int | None = None) -> None:
        self._step_s = step_s

    def step(self, ctx: DetectionContext) -> int:
        return int(self._step_s or ctx.options.get("step_s") or STEP_S)

    def _model(self, ctx: DetectionContext):
        return ctx.models.get(self.name)

    def frames(self, ctx: DetectionContext):
        """(checkpoint, frame of the lines to score then) — a hook: the live monitor gives its one pass."""
        from fanzha.analytics.detectors.hourly import frames

        for as_of, frame in frames(ctx, self.step(ctx), min_calls_out=MIN_MODEL_CALLS):
            ctx._cache[("line_frame", int(as_of), WINDOW)] = frame  # the explanations read the same frame
            yield as_of, frame

    def timeline(self, ctx: DetectionContext) -> pd.DataFrame:
        """Score of every line scored at every checkpoint: msisdn, as_of, score."""
        def compute():
            model = self._model(ctx)
            parts = []
            for as_of, frame in self.frames(ctx):
                if len(frame) == 0:
                    continue
                parts.append(pd.DataFrame({"msisdn": frame.index, "as_of": as_of, "score": score_frame(frame, model)}))
            if not parts:
                return pd.DataFrame({"msisdn": pd.Series(dtype=str), "as_of": pd.Series(dtype=np.int64), "score": pd.Series(dtype=float)})
            return pd.concat(parts, ignore_index=True)
        return ctx.memo((self.name, "timeline", self.step(ctx)), compute)

    def rule_hours(self, ctx: DetectionContext) -> pd.DataFrame:
        """Line-hours matching the rule of thumb (msisdn, hour_ts, calls_out, last_ts). A hook: the live
        monitor (analytics.stream) answers it from its hourly buckets instead of the records."""
        return hourly_out(ctx)

    def last_times(self, ctx: DetectionContext, points: pd.DataFrame) -> pd.Series:
        """(msisdn, as_of) → time of the line's last record at or before as_of (hook, as above)."""
        return last_record(ctx, points)

    def line_scores(self, ctx: DetectionContext) -> pd.Series:
        tl = self.timeline(ctx)
        score = tl.groupby("msisdn")["score"].max() if len(tl) else pd.Series(dtype=float)
        hits = self.rule_hours(ctx)
        if len(hits):
            score = score.reindex(score.index.union(hits["msisdn"].unique()), fill_value=0.0)
            score.loc[hits["msisdn"].unique()] = np.maximum(score.loc[hits["msisdn"].unique()], 0.95)
        return score

    def detect(self, ctx: DetectionContext) -> list[Alert]:
        tl = self.timeline(ctx)
        hits = self.rule_hours(ctx)
        flagged = tl[tl["score"] >= ALERT_AT]
        if len(flagged) == 0 and len(hits) == 0:
            return []
        best = flagged.sort_values(["score", "as_of"], ascending=[False, True]).drop_duplicates("msisdn")
        first = flagged.groupby("msisdn")["as_of"].min()
        # Rule-of-thumb hours: alert at the end of the first such hour.
        thumb = hits.groupby("msisdn").agg(first_hour=("hour_ts", "min"), hours=("hour_ts", "size"),
                                           max_calls=("calls_out", "max"), last_ts=("last_ts", "max"))
        lines = sorted(set(best["msisdn"]) | set(thumb.index))
        best = best.set_index("msisdn")
        points = pd.DataFrame({"msisdn": lines, "as_of": [int(best.at[m, "as_of"]) if m in best.index else int(thumb.at[m, "last_ts"]) for m in lines]})
        last = self.last_times(ctx, points)
        model = self._model(ctx)
        explained: dict[tuple[str, int], list] = {}
        if model is not None:  # the model's contributions, one batch per checkpoint (not one call per alert)
            scored = points[points["msisdn"].isin(best.index)]
            for as_of, part in scored.groupby("as_of"):
                rows = line_frame(ctx, int(as_of)).loc[part["msisdn"]]
                for msisdn, contribs in zip(part["msisdn"], model.explain(rows, top=3), strict=True):
                    explained[(msisdn, int(as_of))] = contribs
        alerts = []
        for msisdn, as_of in zip(points["msisdn"], points["as_of"], strict=True):
            score = float(best.at[msisdn, "score"]) if msisdn in best.index else 0.0
            reasons: list[Reason] = []
            evidence: dict = {"as_of": epoch_to_time(as_of), "scorer": model.card.get("name", "model") if model else "rules"}
            firsts = []
            if msisdn in first.index:
                firsts.append(int(first[msisdn]))
            if msisdn in best.index:
                row = line_frame(ctx, as_of).loc[msisdn]
                if quiet_hits(row.to_frame().T)[0]:
                    reasons.extend(quiet_reasons(row))
                    evidence["quiet_caller"] = True
                elif model is not None:
                    for c in explained[(msisdn, int(as_of))]:
                        reasons.append(feature_reason(c.feature, c.value, c.contribution))
                else:
                    reasons.extend(rule_reasons(row))
                evidence["features"] = {k: row.get(k) for k in ("calls_out_24h", "out_share_24h", "callback_share_24h",
                                                                  "short_call_share_24h", "peers_out_24h", "calls_per_peer_24h")}
            if msisdn in thumb.index:
                t = thumb.loc[msisdn]
                score = max(score, 0.95)
                firsts.append(int(t["first_hour"]) + HOUR)
                evidence["rule_of_thumb_hours"] = int(t["hours"])
                reasons.insert(0, Reason("rule_of_thumb", int(t["max_calls"]),
                                         f"经验规则：单小时外呼{int(t['max_calls'])}次且多数≤10秒",
                                         f"rule of thumb: {int(t['max_calls'])} outgoing calls in one hour, mostly ≤ 10 s", 10.0))
            if not reasons:
                reasons.append(Reason("score", score, f"综合评分{score:.2f}", f"combined score {score:.2f}", 0.0))
            evidence["first_alert_time"] = epoch_to_time(min(firsts))
            event = last.get((msisdn, as_of), as_of)
            alerts.append(Alert(subject_type="msisdn", subject=msisdn, detector=self.name, score=min(score, 1.0),
                                event_time=epoch_to_time(event), reasons=reasons, evidence=evidence))
        return alerts


def training_rows(ctx: DetectionContext, labels: pd.DataFrame, *, step_s: int | None = None) -> pd.DataFrame:
    """(line, checkpoint) rows with features and ``y``: 1 once a ``fraud_caller`` line's ``since``
    has passed, 0 for normal lines. Rows of other fraud kinds, and of fraud lines before they
    started, are left out: they are neither clean negatives nor this detector's positives."""
    label = labels["label"]
    since = labels["since"]
    parts = []
    for as_of in ctx.checkpoints(step_s or ctx.options.get("train_step_s") or TRAIN_STEP_S):
        frame = line_frame(ctx, as_of)
        if len(frame) == 0:
            continue
        lab = label.reindex(frame.index).fillna("normal")
        started = since.reindex(frame.index) <= pd.Timestamp(as_of, unit="s", tz="UTC")
        y = pd.Series(np.nan, index=frame.index)
        y[lab == "normal"] = 0.0
        y[(lab == "fraud_caller") & started] = 1.0
        keep = y.notna()
        parts.append(frame[keep].assign(y=y[keep].astype(int), as_of=as_of))
    return pd.concat(parts) if parts else pd.DataFrame()


ALERT_BUDGET = 200.0  # alerts per 10,000 lines per day (2 % of lines a day): a cap against a threshold that would flood analysts
FOLDS = 4
PU_TOP_SHARE = 0.9  # c is read among held-out lines scoring like the upper 90 % of the labelled fraud lines


def line_folds(per_line: pd.Series, *, folds: int, seed: int) -> pd.Series:
    """Fold number of each line (stratified by its label): whole lines are held out together."""
    rng = np.random.default_rng(seed)
    fold = pd.Series(0, index=per_line.index)
    for cls in (0, 1):
        lines = np.array(sorted(per_line.index[per_line == cls]))
        rng.shuffle(lines)
        fold[lines] = np.arange(len(lines)) % folds
    return fold


def train(ctx: DetectionContext, labels: pd.DataFrame, *, step_s: int | None = None, seed: int = 0,
          min_precision: float = 0.95, alert_budget: float | None = ALERT_BUDGET, folds: int = FOLDS,
          data_summary: dict | None = None):
    """Train the fraud-caller model and pick its alert threshold on held-out lines.

    Labels are positive-unlabelled: every labelled fraud_caller line is fraud, but some fraud lines
    were never caught and sit among the "normal" ones. So the lines are split into ``folds`` groups
    (whole lines, stratified); a model per fold is trained on the other lines, early-stopped on its
    fold and scores it, so every line gets a held-out score. From those:

    * c = P(labelled | fraud), the labelled share among the held-out lines that score like the labelled
      fraud lines (``labelled_share_in_top``; Elkan–Noto's mean score is kept on the card as a
      cross-check), hence the expected hidden fraud lines;
    * the threshold is the one with the most recall whose *estimated* line-level precision (hidden
      positives above it not counted as false alerts; upheld appeals, ``outcome`` = false_positive,
      never hidden) reaches ``min_precision``, unless ``alert_budget`` alerts per 10,000 lines per
      day is stricter.

    The model kept is fold 0's (trained on the other folds' lines, no refit), so its threshold was
    chosen on held-out lines; the card states c, the hidden lines, the rule and the alert volume.
    """
    from fanzha.analytics.detectors.explain import describe
    from fanzha.analytics.models import (
        binary_metrics, choose_threshold, estimate_labelled_share, labelled_share_in_top, threshold_stats, train_classifier,
    )

    rows = training_rows(ctx, labels, step_s=step_s)
    if len(rows) == 0 or rows["y"].nunique() < 2:
        raise ValueError("training needs labelled fraud_caller lines and normal lines with call records")
    feats = [c for c in rows.columns if c not in ("y", "as_of")]
    per_line = rows.groupby(level=0)["y"].max()
    folds = max(2, min(folds, int(per_line.sum())))  # every fold's training lines keep a fraud line
    fold = line_folds(per_line, folds=folds, seed=seed).reindex(rows.index).to_numpy()
    docs = {f: dict(zip(("zh", "en"), describe(f), strict=True)) for f in feats}
    held_out = np.full(len(rows), np.nan)
    model = None
    for k in range(folds):
        v = fold == k
        m = train_classifier(
            rows.loc[~v, feats], rows.loc[~v, "y"], name="fraud_caller", valid=(rows.loc[v, feats], rows.loc[v, "y"]),
            seed=seed, feature_docs=docs, refit_all=False,
            data_summary={"checkpoint_rows": int(len(rows)), "lines": int(len(per_line)),
                          "fraud_caller_lines": int(per_line.sum()), "step_s": step_s or ctx.options.get("step_s") or STEP_S,
                          **(data_summary or {})},
            intended_use="Score lines for bulk outbound fraud calling (fraud_caller) on 24 h of behaviour; "
                         "alerts go to analysts for review, never straight to shutdown.",
        )
        held_out[v] = m.predict(rows.loc[v, feats])
        if k == 0:
            model = m
    # A line alerts when any checkpoint crosses the threshold, and never on a day with few calls (timeline()).
    few = rows[VOLUME].fillna(0).to_numpy() < MIN_MODEL_CALLS
    pv = pd.Series(np.where(few, 0.0, held_out), index=rows.index).groupby(level=0).max()
    raw = pd.Series(held_out, index=rows.index).groupby(level=0).max().reindex(pv.index)
    yl = per_line.reindex(pv.index).to_numpy()
    outcome = labels["outcome"] if "outcome" in labels else pd.Series("", index=labels.index, dtype=object)
    verified = (outcome.reindex(pv.index).fillna("") == "false_positive").to_numpy() & (yl == 0)
    days = max((ctx.end - ctx.start) / 86_400, 1.0) if ctx.start is not None and ctx.end is not None else 1.0
    line_days = len(pv) * days
    # c on the model's own line scores (not the few-calls cap, which ties many lines at 0)
    c = labelled_share_in_top(yl, raw.to_numpy(), verified_negative=verified, top_share=PU_TOP_SHARE)
    c_e1 = estimate_labelled_share(rows["y"].to_numpy(), held_out)  # Elkan–Noto on checkpoint rows: a cross-check
    model.threshold, rule = choose_threshold(yl, pv.to_numpy(), min_precision=min_precision, labelled_share=c,
                                             verified_negative=verified, alert_budget=alert_budget, line_days=line_days)
    st = threshold_stats(yl, pv.to_numpy(), labelled_share=c, verified_negative=verified, line_days=line_days)
    at = st[st["threshold"] >= model.threshold].iloc[0] if (st["threshold"] >= model.threshold).any() else None
    lines_metrics = binary_metrics(yl, pv.to_numpy(), model.threshold)
    model.card["metrics"]["validation_lines"] = lines_metrics
    unverified_normal = int(((yl == 0) & ~verified).sum())
    model.card["pu"] = {
        "method": "labelled share among the top-scored held-out lines (out-of-fold)",
        "folds": folds,
        "top_share": PU_TOP_SHARE,
        "labelled_share_c": round(c, 4),
        "labelled_share_elkan_noto": round(c_e1, 4),
        "unlabelled_fraud_share": round(1 - c, 4),
        "labelled_fraud_lines": int(yl.sum()),
        "hidden_fraud_lines_estimated": round(float(min(unverified_normal, yl.sum() * (1 - c) / c)), 1),
        "verified_normal_lines": int(verified.sum()),
        "threshold_rule": rule,
        "min_precision": min_precision,
        "alert_budget_per_10k_day": alert_budget,
        "held_out_lines": int(len(pv)),
        "held_out_days": round(days, 2),
        "alerts_per_10k_day": round(float(at["alerts_per_10k_day"]), 2) if at is not None else 0.0,
        "false_alerts_per_10k_day": round(float(at["false_alerts_per_10k_day"]), 2) if at is not None else 0.0,
        "precision_naive": round(lines_metrics["precision"], 4),
        "precision_corrected": round(float(at["precision"]), 4) if at is not None else 0.0,
        "recall": round(lines_metrics["recall"], 4),
    }
    return model
