"""cell_anomaly: a cell's hourly outgoing traffic against its own baseline (基站话务异常).

For every (cell, clock hour) the outgoing calls are compared with the same local hour on the
cell's previous days (median and MAD — robust to one odd day); a cell with no earlier day is
compared with all cells at that hour. A GOIP box switched on in a flat shows up as a jump here.
The alert names the lines driving the excess: those whose outgoing calls in the flagged hours
make up most of it. Only cells whose excess comes from several lines (≥ ``min_drivers``) that stay
there (most of their calls from this cell) alert; callers passing through and single busy lines
are left to the line-level detectors. A SIM bank that moves (a car, rooms rented by the week) stays
nowhere, yet its members were together in each cell it passed: a driver that is a member of a ``simbox``
group whose hour-by-hour track went through the cell counts as staying there, so the moving bank's cells
are named in turn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from fanzha.analytics.detectors.base import Alert, Reason, register
from fanzha.analytics.detectors.context import CST_OFFSET_S, DAY, HOUR, DetectionContext, epoch_to_time


@dataclass(frozen=True)
class CellRules:
    min_z: float = 6.0  # robust z-score to flag an hour
    min_excess: float = 20.0  # and at least this many extra outgoing calls
    history_days: int = 7
    max_lines: int = 50
    driver_share: float = 0.8  # the driving lines explain this share of the excess
    min_static_share: float = 0.6  # of the drivers' calls made from this very cell (over the run)
    min_drivers: int = 4  # a jump made by one or two busy lines is a caller, not a cell anomaly


def hourly_calls(ctx: DetectionContext) -> pd.DataFrame:
    from fanzha.analytics.features import compute_cell_hour_features

    span = (ctx.end - ctx.start) + 2 * HOUR
    frame = compute_cell_hour_features(ctx.engine, as_of=int(ctx.end + 1), window=f"{span}s")
    frame["out_calls"] = frame["cell_calls"] * frame["cell_out_share"].fillna(0.0)
    return frame[["cell_id", "hour_ts", "cell_calls", "cell_lines", "out_calls", "cell_short_call_share"]]


def robust_z(frame: pd.DataFrame, rules: CellRules) -> pd.DataFrame:
    """Adds baseline (median), spread and z per cell-hour from the same hour on earlier days."""
    f = frame.copy()
    f["hour_ts"] = f["hour_ts"].astype(np.int64)
    f["local_day"] = (f["hour_ts"] + CST_OFFSET_S) // DAY
    f["hod"] = ((f["hour_ts"] + CST_OFFSET_S) % DAY) // HOUR
    # Fill silent hours with 0 so a box in a quiet cell is compared with the real (zero) baseline.
    days = np.arange(f["local_day"].min(), f["local_day"].max() + 1)
    full = pd.MultiIndex.from_product([f["cell_id"].unique(), days, range(24)], names=["cell_id", "local_day", "hod"])
    g = f.set_index(["cell_id", "local_day", "hod"])["out_calls"].groupby(level=[0, 1, 2]).sum().reindex(full, fill_value=0.0)
    wide = g.unstack("local_day")  # rows (cell, hod), columns days
    vals = wide.to_numpy()
    med = np.full(vals.shape, np.nan)
    mad = np.full(vals.shape, np.nan)
    for j in range(vals.shape[1]):
        lo = max(0, j - rules.history_days)
        if j > lo:
            hist = vals[:, lo:j]
            med[:, j] = np.median(hist, axis=1)
            mad[:, j] = np.median(np.abs(hist - med[:, [j]]), axis=1)
    def long(a, name):
        return pd.DataFrame(a, index=wide.index, columns=wide.columns).stack(future_stack=True).rename(name)

    out = pd.concat([long(vals, "observed"), long(med, "baseline"), long(mad, "mad")], axis=1).reset_index()
    # No earlier day: compare with all cells at the same hour of that day.
    peer = out.groupby(["local_day", "hod"])["observed"].agg(["median", lambda s: np.median(np.abs(s - s.median()))])
    peer.columns = ["peer_median", "peer_mad"]
    out = out.join(peer, on=["local_day", "hod"])
    no_hist = out["baseline"].isna()
    out.loc[no_hist, "baseline"] = out.loc[no_hist, "peer_median"]
    out.loc[no_hist, "mad"] = out.loc[no_hist, "peer_mad"]
    out["own_history"] = ~no_hist
    spread = 1.4826 * out["mad"] + np.sqrt(out["baseline"] + 1.0) + 1.0
    out["excess"] = out["observed"] - out["baseline"]
    out["z"] = out["excess"] / spread
    out["hour_ts"] = out["local_day"] * DAY - CST_OFFSET_S + out["hod"] * HOUR
    return out


def z_score(z: float, min_z: float) -> float:
    return float(np.clip(0.5 + 0.5 * (1 - np.exp(-(z - min_z) / min_z)), 0, 1))


@register
class CellAnomalyDetector:
    name = "cell_anomaly"

    def __init__(self, rules: CellRules | None = None) -> None:
        self.rules = rules or CellRules()

    def flagged(self, ctx: DetectionContext) -> pd.DataFrame:
        def compute():
            if ctx.empty:
                return pd.DataFrame(columns=["cell_id", "hour_ts", "observed", "baseline", "z", "excess", "own_history"])
            hours = hourly_calls(ctx)
            if len(hours) == 0:
                return pd.DataFrame(columns=["cell_id", "hour_ts", "observed", "baseline", "z", "excess", "own_history"])
            z = robust_z(hours, self.rules)
            return z[(z["z"] >= self.rules.min_z) & (z["excess"] >= self.rules.min_excess)].reset_index(drop=True)
        return ctx.memo((self.name, "flagged", self.rules), compute)

    def drivers(self, ctx: DetectionContext, flagged: pd.DataFrame) -> pd.DataFrame:
        ctx.engine.register_arrow("_cell_hours", pa.table({
            "cell_id": flagged["cell_id"].astype(str).tolist(), "hour_ts": flagged["hour_ts"].astype(np.int64).tolist()}))
        return ctx.engine.df("""
            SELECT c.cell_id, c.msisdn, COUNT(*) AS calls_out FROM cdr c
            JOIN _cell_hours h ON h.cell_id = c.cell_id AND (c.ts // 3600) * 3600 = h.hour_ts
            WHERE c.direction = 'out' GROUP BY c.cell_id, c.msisdn""")

    def staying(self, ctx: DetectionContext, drivers: pd.DataFrame) -> pd.Series:
        """Per (cell, line): share of the line's outgoing calls (whole run) made in that cell."""
        ctx.engine.register_arrow("_cell_drivers", pa.table({
            "cell_id": drivers["cell_id"].astype(str).tolist(), "msisdn": drivers["msisdn"].astype(str).tolist()}))
        got = ctx.engine.df("""
            SELECT d.cell_id, d.msisdn,
                   CAST(SUM(CASE WHEN c.cell_id = d.cell_id THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS share
            FROM _cell_drivers d JOIN cdr c ON c.msisdn = d.msisdn AND c.direction = 'out'
            GROUP BY d.cell_id, d.msisdn""")
        return got.set_index(["cell_id", "msisdn"])["share"]

    def simbox_groups(self, ctx: DetectionContext) -> list[dict]:
        from fanzha.analytics.detectors.simbox import SimboxDetector

        return SimboxDetector().groups(ctx)

    def group_cells(self, ctx: DetectionContext) -> dict[tuple[str, str], tuple[str, int]]:
        """(cell, line) → (SIM-bank group id, the group's first alert time), for the cells each group's
        members were in together."""
        out: dict[tuple[str, str], tuple[str, int]] = {}
        for g in self.simbox_groups(ctx):
            for cell in {s["cell_id"] for s in g.get("track", [])}:
                for m in g["lines"]:
                    out.setdefault((cell, m), (g["group_id"], int(g["first_alert_ts"])))
        return out

    def detect(self, ctx: DetectionContext) -> list[Alert]:
        flagged = self.flagged(ctx)
        if len(flagged) == 0:
            return []
        r = self.rules
        drivers = self.drivers(ctx, flagged)
        staying = self.staying(ctx, drivers) if len(drivers) else pd.Series(dtype=float)
        banks: dict | None = None  # asked for only when a cell's drivers do not stay there on their own
        alerts = []
        for cell, part in flagged.groupby("cell_id"):
            top = part.sort_values(["z", "hour_ts"], ascending=[False, True]).iloc[0]
            d = drivers[drivers["cell_id"] == cell].sort_values(["calls_out", "msisdn"], ascending=[False, True])
            excess = float(part["excess"].sum())
            cum = d["calls_out"].cumsum()
            n_keep = int(np.searchsorted(cum.to_numpy(), r.driver_share * min(excess, cum.iloc[-1] if len(cum) else 0)) + 1)
            lines = d["msisdn"].astype(str).tolist()[: min(max(n_keep, 1), r.max_lines)]
            # Traffic of lines that live in the cell (a box, a call den) is what this detector is for;
            # callers passing through (mobile fraud rings, events) stay below the alert level.
            weights = d.set_index("msisdn")["calls_out"].loc[lines]
            w = weights.to_numpy()
            stay = np.array([staying.get((cell, m), 0.0) for m in lines])
            static_share = float((w * stay).sum() / max(weights.sum(), 1))
            used: set[tuple[str, int]] = set()
            if static_share < r.min_static_share and len(lines) >= r.min_drivers:
                # lines that moved here together as a SIM bank stayed here too
                banks = self.group_cells(ctx) if banks is None else banks
                used = {banks[(cell, m)] for m in lines if (cell, m) in banks}
                stay = np.array([1.0 if (cell, m) in banks else v for m, v in zip(lines, stay, strict=True)])
                static_share = float((w * stay).sum() / max(weights.sum(), 1))
            groups = sorted(gid for gid, _ in used)
            score = z_score(float(top["z"]), r.min_z)
            if static_share < r.min_static_share or len(lines) < r.min_drivers:
                continue
            base = "自身历史同时段" if top["own_history"] else "同时段全部小区"
            base_en = "its own same hour on earlier days" if top["own_history"] else "all cells at that hour"
            reasons = [
                Reason("out_calls", top["observed"], f"{epoch_to_time(top['hour_ts']):%m-%d %H}时外呼{top['observed']:.0f}次，基线{top['baseline']:.0f}次（{base}）",
                       f"{top['observed']:.0f} outgoing calls in the hour from {epoch_to_time(top['hour_ts']):%m-%d %H}:00 vs baseline {top['baseline']:.0f} ({base_en})", 3.0),
                Reason("hours", len(part), f"{len(part)}个小时异常", f"{len(part)} anomalous hours", 2.0),
                Reason("drivers", len(lines), f"主要由{len(lines)}个号码造成，其{static_share:.0%}通话在本小区"
                       + ("（含随猫池一起移动到此的号码）" if groups else ""),
                       f"driven by {len(lines)} lines making {static_share:.0%} of their calls here"
                       + (" (counting SIM-bank members that moved here together)" if groups else ""), 1.0),
            ]
            evidence = {
                "lines": lines, "hours_flagged": int(len(part)), "excess_calls": round(excess, 1),
                "peak_hour": epoch_to_time(top["hour_ts"]), "peak_observed": float(top["observed"]),
                "peak_baseline": float(top["baseline"]), "peak_z": round(float(top["z"]), 2), "drivers_static_share": round(static_share, 3),
                "simbox_groups": groups,
                # a cell named through a moving bank is known once the bank is (causal, as live)
                "first_alert_time": epoch_to_time(max([int(part["hour_ts"].min()) + HOUR, *[t for _, t in used]])),
            }
            alerts.append(Alert(subject_type="cell", subject=str(cell), detector=self.name, score=score,
                                event_time=epoch_to_time(min(int(part["hour_ts"].max()) + HOUR - 1, ctx.end)),
                                reasons=reasons, evidence=evidence))
        return alerts
