"""simbox: SIM banks (猫池 / GOIP) found by co-behaviour — SIMs that live together, static or moving.

The decision is :func:`.cobehave.groups_at` (co-occurrence in the same cells in the same hours, shared
devices, box-like traffic with outsiders as a group); see that module. This detector replays it at every
clock hour of the data (causal: each checkpoint sees only the records before it, over the monitor's
window), follows a group from hour to hour (a group found again shares members with the one before) and
turns the groups into alerts:

- a group on one device (an IMEI carrying ≥ ``min_device_lines`` members, static or moving) names the
  IMEI; a static group without one names its cell; a moving group without a device has no subject of the
  contract's four types, so it is named by its member lines only: every member's msisdn alert carries
  ``evidence.group_id``, the members and where the group was hour by hour;
- every member line gets its own msisdn alert.

First alert times are the checkpoint (clock-hour end) at which the group, or the member in it, was first
found — what a live monitor running the same decision every hour would have alerted.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from fanzha.analytics.detectors.base import Alert, Reason, register
from fanzha.analytics.detectors.cobehave import HOUR, BoxRules, Sources, describe, groups_at
from fanzha.analytics.detectors.context import CST_OFFSET_S, DAY, DetectionContext, epoch_to_time

BATCH = Sources(line_hour="_sb_lh", line_cell_hour="_sb_lch", line_imei_hour="_sb_lih", pair_hour="_sb_ph",
                cell_lines="_sb_cl")


def prepare_batch(ctx: DetectionContext, rules: BoxRules) -> None:
    """The batch tables in the buckets' shape, for the lines that are a candidate at some checkpoint
    (≥ min_calls_out outgoing calls in some window) — the only ones any checkpoint reads."""
    e, w = ctx.engine, int(rules.window_s)
    e.sql(f"""CREATE OR REPLACE TEMP TABLE _sb_lh AS
        WITH h AS (SELECT msisdn, (ts // {HOUR}) * {HOUR} AS hour_ts,
                     SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END) AS calls_out,
                     SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END) AS calls_in,
                     SUM(CASE WHEN direction = 'out' AND duration_s <= 10 THEN 1 ELSE 0 END) AS n_short,
                     MAX(ts) AS c_last FROM cdr GROUP BY msisdn, hour_ts),
        r AS (SELECT msisdn, SUM(calls_out) OVER (PARTITION BY msisdn ORDER BY hour_ts
                     RANGE BETWEEN {w - HOUR} PRECEDING AND CURRENT ROW) AS roll FROM h)
        SELECT * FROM h WHERE msisdn IN (SELECT msisdn FROM r WHERE roll >= {int(rules.min_calls_out)})
        ORDER BY hour_ts""")
    cand = "msisdn IN (SELECT DISTINCT msisdn FROM _sb_lh)"
    e.sql(f"""CREATE OR REPLACE TEMP TABLE _sb_lch AS SELECT msisdn, cell_id, (ts // {HOUR}) * {HOUR} AS hour_ts,
              COUNT(*) AS n FROM cdr WHERE cell_id IS NOT NULL AND {cand} GROUP BY ALL ORDER BY hour_ts""")
    e.sql(f"""CREATE OR REPLACE TEMP TABLE _sb_cl AS
        SELECT DISTINCT c.cell_id, (c.ts // {HOUR}) * {HOUR} AS hour_ts, c.msisdn FROM cdr c
        SEMI JOIN (SELECT DISTINCT cell_id, hour_ts FROM _sb_lch) k
          ON k.cell_id = c.cell_id AND k.hour_ts = (c.ts // {HOUR}) * {HOUR}
        ORDER BY hour_ts""")
    e.sql(f"""CREATE OR REPLACE TEMP TABLE _sb_lih AS SELECT msisdn, imei, (ts // {HOUR}) * {HOUR} AS hour_ts,
              COUNT(*) AS n FROM (SELECT msisdn, imei, ts FROM cdr UNION ALL SELECT msisdn, imei, ts FROM sms) x
              WHERE imei IS NOT NULL AND {cand} GROUP BY ALL ORDER BY hour_ts""")
    e.sql(f"""CREATE OR REPLACE TEMP TABLE _sb_ph AS SELECT msisdn, peer, (ts // {HOUR}) * {HOUR} AS hour_ts,
              SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END) AS n_out,
              SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END) AS n_in
              FROM cdr WHERE {cand} GROUP BY ALL ORDER BY hour_ts""")


class CoOccurrences:
    """Every candidate pair's shared clock hours over the whole run, counted once (one self-join of the
    candidates' cell-hours, crowd-weighted as :func:`.cobehave.pairs_sql` weights them); a checkpoint's
    strong pairs are then a window's sum over these rows — what pairs_sql gives for that window."""

    def __init__(self, ctx: DetectionContext, rules: BoxRules) -> None:
        e = ctx.engine
        e.sql("""CREATE OR REPLACE TEMP TABLE _sb_ids AS
                 SELECT msisdn, CAST(ROW_NUMBER() OVER (ORDER BY msisdn) - 1 AS INTEGER) AS id
                 FROM (SELECT DISTINCT msisdn FROM _sb_lh)""")
        rows = e.df("""
            WITH lch AS (SELECT DISTINCT i.id, l.cell_id, l.hour_ts FROM _sb_lch l JOIN _sb_ids i ON i.msisdn = l.msisdn),
            cw AS (SELECT cell_id, hour_ts FROM lch GROUP BY cell_id, hour_ts HAVING COUNT(*) >= 2),
            crowd AS (SELECT s.cell_id, s.hour_ts, COUNT(DISTINCT s.msisdn) AS lines FROM _sb_cl s
                      SEMI JOIN cw ON cw.cell_id = s.cell_id AND cw.hour_ts = s.hour_ts GROUP BY s.cell_id, s.hour_ts)
            SELECT a.id AS a, b.id AS b, a.hour_ts, SUM(1.0 / LN(w.lines + 5)) AS w
            FROM lch a JOIN lch b ON a.cell_id = b.cell_id AND a.hour_ts = b.hour_ts AND a.id < b.id
            JOIN crowd w ON w.cell_id = a.cell_id AND w.hour_ts = a.hour_ts
            GROUP BY a.id, b.id, a.hour_ts ORDER BY a.hour_ts""")
        ids = e.df("SELECT msisdn, id FROM _sb_ids ORDER BY id")
        self.msisdn = ids["msisdn"].astype(str).to_numpy(dtype=object)
        self.index = pd.Series(ids["id"].to_numpy(), index=self.msisdn)
        self.a = rows["a"].to_numpy(np.int64)
        self.b = rows["b"].to_numpy(np.int64)
        self.hour = rows["hour_ts"].to_numpy(np.int64)
        self.w = rows["w"].to_numpy(float)
        self.rules = rules

    def strong(self, lo: int, hi: int):
        """The ``strong_pairs(cand)`` callable of :func:`.cobehave.groups_at` for the window [lo, hi)."""
        def pairs(cand: pd.Series) -> pd.DataFrame:
            i, j = np.searchsorted(self.hour, [lo, hi])
            is_cand = np.zeros(len(self.msisdn), dtype=bool)
            is_cand[self.index.reindex(cand.to_numpy()).dropna().astype(np.int64).to_numpy()] = True
            a, b, w = self.a[i:j], self.b[i:j], self.w[i:j]
            keep = is_cand[a] & is_cand[b]
            key = a[keep] * len(self.msisdn) + b[keep]
            uniq, inv = np.unique(key, return_inverse=True)
            weight = np.bincount(inv, weights=w[keep])
            hours = np.bincount(inv)  # rows are (pair, hour): one per shared hour
            ok = (hours >= self.rules.min_shared_hours) & (weight >= self.rules.min_pair_weight - 1e-9)
            n = len(self.msisdn)
            return pd.DataFrame({"a": self.msisdn[uniq[ok] // n], "b": self.msisdn[uniq[ok] % n],
                                 "weight": weight[ok], "hours": hours[ok]})
        return pairs


def hour_ends(ctx: DetectionContext) -> list[int]:
    """Every clock-hour end from the first record's hour to the last record's."""
    if ctx.empty:
        return []
    return list(range((ctx.start // HOUR + 1) * HOUR, (ctx.end // HOUR + 1) * HOUR + 1, HOUR))


class Tracker:
    """Follows groups from checkpoint to checkpoint: a group found again shares members with one before
    (the one it shares most with); members join it at the checkpoint they were first found in it."""

    def __init__(self) -> None:
        self.groups: list[dict] = []
        self.owner: dict[str, int] = {}

    def add(self, g: dict) -> None:
        seen = Counter(self.owner[m] for m in g["lines"] if m in self.owner)
        if seen:
            i = min(seen, key=lambda k: (-seen[k], k))
        else:
            self.groups.append({"lines": {}, "best": g, "first_alert_ts": g["found_ts"], "last_ts": g["last_ts"]})
            i = len(self.groups) - 1
        t = self.groups[i]
        for m in g["lines"]:
            t["lines"].setdefault(m, g["found_ts"])
            self.owner.setdefault(m, i)
        t["last_ts"] = max(t["last_ts"], g["last_ts"])
        best = t["best"]
        if (g["score"], len(g["lines"])) > (best["score"], len(best["lines"])):
            t["best"] = g

    def result(self) -> list[dict]:
        out = []
        for t in self.groups:
            g = dict(t["best"])
            g.update(lines=sorted(t["lines"]), line_first_alert_time=dict(t["lines"]),
                     first_alert_ts=t["first_alert_ts"], last_ts=t["last_ts"])
            out.append(g)
        return out


def _days(track: list[dict]) -> int:
    return len({(s["hour_ts"] + CST_OFFSET_S) // DAY for s in track})


@register
class SimboxDetector:
    name = "simbox"

    def __init__(self, rules: BoxRules | None = None) -> None:
        self.rules = rules or BoxRules()

    def groups(self, ctx: DetectionContext) -> list[dict]:
        return ctx.memo((self.name, "groups", self.rules), lambda: self._groups(ctx))

    def _groups(self, ctx: DetectionContext) -> list[dict]:
        if ctx.empty:
            return []
        prepare_batch(ctx, self.rules)
        co = CoOccurrences(ctx, self.rules)
        tracker = Tracker()
        ends = hour_ends(ctx)
        for hi in ends:
            lo = hi - self.rules.window_s
            for g in groups_at(ctx.engine, BATCH, lo, hi, self.rules, strong_pairs=co.strong(lo, hi)):
                tracker.add(g)
        groups = tracker.result()
        describe(ctx.engine, BATCH, ends[0] - HOUR, ends[-1], groups, self.rules)  # over the whole run
        return groups

    def line_scores(self, ctx: DetectionContext) -> pd.Series:
        best: dict[str, float] = {}
        for g in self.groups(ctx):
            for m in g["lines"]:
                best[m] = max(best.get(m, 0.0), g["score"])
        return pd.Series(best, dtype=float)

    def detect(self, ctx: DetectionContext) -> list[Alert]:
        alerts: list[Alert] = []
        per_line: dict[str, tuple[float, int, dict]] = {}
        for g in self.groups(ctx):
            reasons = group_reasons(g)
            track = [{"hour": epoch_to_time(s["hour_ts"]).isoformat(), "cell_id": s["cell_id"], "lines": s["lines"]}
                     for s in g["track"]]
            evidence = {
                "group_id": g["group_id"], "lines": g["lines"], "calls_out": g["calls_out"],
                "shared_hours": g["shared_hours"], "cells": g["cells"], "moves": g["moves"], "track": track,
                "shared_imeis": g["shared_imeis"], "tac": g["tac"], "accomplices": g["accomplices"],
                "inside_calls": g["inside_calls"], "first_alert_time": epoch_to_time(g["first_alert_ts"]),
                "line_first_alert_time": {m: epoch_to_time(t) for m, t in g["line_first_alert_time"].items()},
            }
            if g["kind"] in ("imei", "cell"):
                alerts.append(Alert(subject_type=g["kind"], subject=g["subject"], detector=self.name, score=g["score"],
                                    event_time=epoch_to_time(g["last_ts"]), reasons=reasons, evidence=evidence))
            for m, t in g["line_first_alert_time"].items():
                cur = per_line.get(m)
                if cur is None or g["score"] > cur[0]:
                    per_line[m] = (g["score"], min(t, cur[1]) if cur else t, {**g, "_evidence": evidence})
                elif t < cur[1]:
                    per_line[m] = (cur[0], t, cur[2])
        for m, (score, first, g) in per_line.items():
            where_zh, where_en = subject_words(g)
            reasons = [Reason("group", g["group_id"], f"属于疑似猫池：{where_zh}（{len(g['lines'])}个号码）",
                              f"member of a suspected SIM bank: {where_en} ({len(g['lines'])} lines)", 3.0),
                       *group_reasons(g)[:1]]
            ev = g["_evidence"]
            evidence = {"group": {"kind": g["kind"], "subject": g["subject"]}, "group_id": g["group_id"],
                        "lines": g["lines"], "first_alert_time": epoch_to_time(first)}
            if g["kind"] == "group":  # no group alert row: the member alerts carry where the group was
                evidence.update(track=ev["track"], shared_hours=ev["shared_hours"], cells=ev["cells"])
            alerts.append(Alert(subject_type="msisdn", subject=m, detector=self.name, score=score,
                                event_time=epoch_to_time(g["last_ts"]), reasons=reasons, evidence=evidence))
        return alerts


def subject_words(g: dict) -> tuple[str, str]:
    if g["kind"] == "imei":
        return f"终端{g['subject']}", f"device {g['subject']}"
    if g["kind"] == "cell":
        return f"小区{g['subject']}", f"cell {g['subject']}"
    return f"流动号码群{g['group_id']}", f"moving group {g['group_id']}"


def group_reasons(g: dict) -> list[Reason]:
    n, hours, cells, days = len(g["lines"]), g["shared_hours"], g["cells"], _days(g["track"])
    span_zh = f"{days}天内" if days > 1 else ""
    if cells > 1:
        zh = f"{n}个号码{span_zh}有{hours}个小时同时出现在同一基站，并一起移动经过{cells}个基站"
        en = f"{n} lines in the same cell in the same hour for {hours} h over {days} day(s), moving together through {cells} cells"
    else:
        zh = f"{n}个号码{span_zh}有{hours}个小时同时出现在同一基站（不移动）"
        en = f"{n} lines in the same cell in the same hour for {hours} h over {days} day(s), not moving"
    reasons = [
        Reason("group_lines", n, zh, en, 3.0),
        Reason("out_share", g["out_share"], f"与外部号码的通话中主叫占比{g['out_share']:.0%}，几乎无人回拨",
               f"{g['out_share']:.0%} of calls with outsiders outgoing, hardly any called back", 2.0),
        Reason("short_share", g["short_share"], f"短通话(≤10秒)占比{g['short_share']:.0%}",
               f"{g['short_share']:.0%} of outgoing calls ≤ 10 s", 1.0),
    ]
    shared = {k: v for k, v in g["shared_imeis"].items() if v >= 2}
    if shared:
        top = max(shared.values())
        reasons.append(Reason("shared_imeis", len(shared), f"{len(shared)}个终端(IMEI)先后装过多个成员号码（最多{top}个）",
                              f"{len(shared)} IMEIs carried several members' SIMs (up to {top})", 1.5))
    if g.get("tac"):
        reasons.append(Reason("tac", g["tac"], f"{g['tac_lines']}个成员使用同一型号终端（TAC {g['tac']}）",
                              f"{g['tac_lines']} members on one handset model (TAC {g['tac']})", 0.5))
    if g["inside_calls"]:
        reasons.append(Reason("inside_calls", g["inside_calls"],
                              f"成员之间及{len(g['accomplices'])}个同伙号码互相通话{g['inside_calls']}次（已单独计算，不掩盖外呼特征）",
                              f"{g['inside_calls']} calls among members and {len(g['accomplices'])} accomplice numbers, counted apart", 0.5))
    return reasons
