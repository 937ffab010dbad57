"""simbox: GOIP gateways / SIM banks (猫池) — many SIMs on one device or in one cell, static,
almost only outgoing short calls to strangers, SIMs rotated.

1. Box-like lines: enough outgoing calls, (almost) no incoming, one place (a dominant cell),
   a mobile device. Thresholds are in ``BoxRules``.
2. Groups: IMEIs carrying ≥ ``min_lines_imei`` box-like lines (device level) and cells where
   ≥ ``min_lines_cell`` box-like lines sit (cell level).
3. Alerts name the device or cell *and* every member line (``evidence.lines``), and each member
   line gets its own msisdn alert. The alert time is causal: a group is flagged when its k-th
   member made its 3rd outgoing call there, a line when it had made 3 calls in a flagged group.
   (Which lines are box-like is judged on the whole run, so a batch run is a replay of a live
   monitor that already knew the box's members' profile — see the README.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from fanzha.analytics.detectors.base import Alert, Reason, register
from fanzha.analytics.detectors.context import DetectionContext, epoch_to_time


@dataclass(frozen=True)
class BoxRules:
    min_calls_out: int = 20
    min_out_share: float = 0.9
    min_main_cell_share: float = 0.8
    min_lines_imei: int = 3
    min_lines_cell: int = 4
    nth_call: int = 3


def box_lines(ctx: DetectionContext, rules: BoxRules) -> pd.DataFrame:
    """Box-like lines with their profile (one SQL pass over the records)."""
    sql = f"""
    WITH l AS (
      SELECT msisdn,
             SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END) AS calls_out,
             SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END) AS calls_in,
             AVG(CASE WHEN direction = 'out' AND duration_s <= 10 THEN 1.0 WHEN direction = 'out' THEN 0.0 END) AS short_share,
             COUNT(DISTINCT CASE WHEN direction = 'out' THEN peer END) AS peers_out,
             COUNT(DISTINCT imei) AS imeis, MIN(ts) AS first_ts, MAX(ts) AS last_ts
      FROM cdr GROUP BY msisdn
      HAVING SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END) >= {rules.min_calls_out}
         AND SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END) >= {rules.min_out_share} * COUNT(*)
         AND COUNT(imei) > 0
    ), c AS (
      SELECT msisdn, cell_id, n, SUM(n) OVER (PARTITION BY msisdn) AS total
      FROM (SELECT msisdn, cell_id, COUNT(*) AS n FROM cdr WHERE cell_id IS NOT NULL
            AND msisdn IN (SELECT msisdn FROM l) GROUP BY msisdn, cell_id)
      QUALIFY ROW_NUMBER() OVER (PARTITION BY msisdn ORDER BY n DESC, cell_id) = 1
    )
    SELECT l.*, c.cell_id AS main_cell, CAST(c.n AS DOUBLE) / c.total AS main_cell_share
    FROM l JOIN c ON c.msisdn = l.msisdn
    WHERE CAST(c.n AS DOUBLE) / c.total >= {rules.min_main_cell_share}
    """
    return ctx.df(sql)


def member_calls(ctx: DetectionContext, lines: pd.DataFrame, rules: BoxRules) -> pd.DataFrame:
    """Per (line, imei, cell) of box-like lines: calls and the time of the line's n-th outgoing call there."""
    ctx.engine.register_arrow("_box_lines", pa.table({"msisdn": lines["msisdn"].astype(str).tolist()}))
    return ctx.engine.df(f"""
        WITH o AS (
          SELECT msisdn, imei, cell_id, ts,
                 ROW_NUMBER() OVER (PARTITION BY msisdn, imei ORDER BY ts) AS k_imei,
                 ROW_NUMBER() OVER (PARTITION BY msisdn, cell_id ORDER BY ts) AS k_cell
          FROM cdr WHERE direction = 'out' AND msisdn IN (SELECT msisdn FROM _box_lines)
        )
        SELECT msisdn, imei, cell_id, COUNT(*) AS calls_out, MIN(ts) AS first_ts, MAX(ts) AS last_ts,
               MIN(CASE WHEN k_imei = {rules.nth_call} THEN ts END) AS nth_imei_ts,
               MIN(CASE WHEN k_cell = {rules.nth_call} THEN ts END) AS nth_cell_ts
        FROM o GROUP BY msisdn, imei, cell_id
    """)


def _switches(ctx: DetectionContext, imeis: list[str]) -> pd.Series:
    if not imeis:
        return pd.Series(dtype=float)
    ctx.engine.register_arrow("_box_imeis", pa.table({"imei": imeis}))
    got = ctx.engine.df("""
        SELECT imei, SUM(CASE WHEN prev IS NOT NULL AND prev <> msisdn THEN 1 ELSE 0 END) AS switches FROM (
          SELECT imei, msisdn, LAG(msisdn) OVER (PARTITION BY imei ORDER BY ts, msisdn) AS prev
          FROM cdr WHERE imei IN (SELECT imei FROM _box_imeis)) x GROUP BY imei""")
    return got.set_index("imei")["switches"]


def group_score(n_lines: int, out_share: float, short_share: float, min_lines: int) -> float:
    """0.5 at the minimum group size with a clean outbound profile, rising with size and short calls."""
    size = min(1.0, (n_lines - min_lines + 1) / 6)
    return float(np.clip(0.5 + 0.3 * size + 0.1 * out_share + 0.1 * short_share, 0, 1))


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
        r = self.rules
        lines = box_lines(ctx, r)
        if len(lines) == 0:
            return []
        prof = lines.set_index("msisdn")
        calls = member_calls(ctx, lines, r)
        groups = []
        for kind, key, nth, min_lines in (("imei", "imei", "nth_imei_ts", r.min_lines_imei),
                                          ("cell", "cell_id", "nth_cell_ts", r.min_lines_cell)):
            by = calls.dropna(subset=[key]).groupby([key, "msisdn"]).agg(
                calls_out=("calls_out", "sum"), nth=(nth, "min"), last_ts=("last_ts", "max"))
            by = by[by["nth"].notna()]  # the line made at least nth_call calls on this device / in this cell
            for subject, part in by.groupby(level=0):
                members = part.droplevel(0)
                if kind == "cell":  # cell level: only lines that sit in this cell
                    members = members[prof.loc[members.index, "main_cell"].to_numpy() == subject]
                if len(members) < min_lines:
                    continue
                ordered = members["nth"].sort_values()
                group_ts = int(ordered.iloc[min_lines - 1])
                line_alert = {m: int(max(group_ts, t)) for m, t in members["nth"].items()}
                p = prof.loc[members.index]
                out_share = float((p["calls_out"] / (p["calls_out"] + p["calls_in"])).mean())
                short = float(p["short_share"].mean())
                groups.append({
                    "kind": kind, "subject": str(subject), "lines": sorted(members.index.astype(str)),
                    "line_first_alert_time": line_alert, "first_alert_ts": group_ts,
                    "last_ts": int(members["last_ts"].max()), "calls_out": int(members["calls_out"].sum()),
                    "out_share": out_share, "short_share": short,
                    "score": group_score(len(members), out_share, short, min_lines),
                })
        switches = _switches(ctx, [g["subject"] for g in groups if g["kind"] == "imei"])
        for g in groups:
            g["sim_switches"] = int(switches.get(g["subject"], 0)) if g["kind"] == "imei" else None
        return groups

    def line_scores(self, ctx: DetectionContext) -> pd.Series:
        best: dict[str, float] = {}
        for g in self.groups(ctx):
            for m in g["lines"]:
                best[m] = max(best.get(m, 0.0), g["score"])
        return pd.Series(best, dtype=float)

    def detect(self, ctx: DetectionContext) -> list[Alert]:
        alerts: list[Alert] = []
        per_line: dict[str, tuple[float, int, int, dict]] = {}
        for g in self.groups(ctx):
            n = len(g["lines"])
            where_zh = "同一终端(IMEI)" if g["kind"] == "imei" else "同一小区"
            where_en = "one device (IMEI)" if g["kind"] == "imei" else "one cell"
            reasons = [
                Reason("group_lines", n, f"{where_zh}上{n}个号码几乎只外呼且不移动", f"{n} static, outbound-only lines on {where_en}", 3.0),
                Reason("out_share", g["out_share"], f"主叫占比{g['out_share']:.0%}", f"{g['out_share']:.0%} of calls outgoing", 2.0),
                Reason("short_share", g["short_share"], f"短通话(≤10秒)占比{g['short_share']:.0%}", f"{g['short_share']:.0%} of calls ≤ 10 s", 1.0),
            ]
            if g.get("sim_switches"):
                reasons.append(Reason("sim_switches", g["sim_switches"], f"换卡{g['sim_switches']}次", f"SIM switched {g['sim_switches']} times", 1.5))
            evidence = {
                "lines": g["lines"], "calls_out": g["calls_out"], "sim_switches": g["sim_switches"],
                "first_alert_time": epoch_to_time(g["first_alert_ts"]),
                "line_first_alert_time": {m: epoch_to_time(t) for m, t in g["line_first_alert_time"].items()},
            }
            alerts.append(Alert(subject_type=g["kind"], subject=g["subject"], detector=self.name, score=g["score"],
                                event_time=epoch_to_time(g["last_ts"]), reasons=reasons, evidence=evidence))
            for m, t in g["line_first_alert_time"].items():
                cur = per_line.get(m)
                if cur is None or g["score"] > cur[0] or t < cur[1]:
                    first = t if cur is None else min(t, cur[1])
                    per_line[m] = (max(g["score"], cur[0] if cur else 0.0), first, g["last_ts"], g)
        for m, (score, first, last, g) in per_line.items():
            where_zh = f"终端{g['subject']}" if g["kind"] == "imei" else f"小区{g['subject']}"
            where_en = f"device {g['subject']}" if g["kind"] == "imei" else f"cell {g['subject']}"
            reasons = [Reason("group", g["subject"], f"属于疑似猫池：{where_zh}（{len(g['lines'])}个号码）",
                              f"member of a suspected SIM bank: {where_en} ({len(g['lines'])} lines)", 3.0)]
            alerts.append(Alert(subject_type="msisdn", subject=m, detector=self.name, score=score,
                                event_time=epoch_to_time(last), reasons=reasons,
                                evidence={"group": {"kind": g["kind"], "subject": g["subject"]},
                                          "first_alert_time": epoch_to_time(first)}))
        return alerts
