"""Per-line frames the line-level detectors score: behaviour features over a window ending at a
checkpoint (from the analytics feature registry) joined with the owner's registration facts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from fanzha.analytics.detectors.context import DAY, DetectionContext

WINDOW = "24h"
# Mobility is left to resold_card's own pass: it was the slowest family (a 30-minute sampling
# pass per checkpoint) and adds little to bulk-calling detection.
FAMILIES = ("calling", "device", "onset")
STRING_FEATURES = ("main_tac", "home_region", "id_region")


def registration_facts(subs: pd.DataFrame) -> pd.DataFrame:
    """What does not depend on the scoring time, per line of the subscribers frame: opening time, lines
    under the same ID, line type, the owner's birth year, student."""
    out = pd.DataFrame(index=subs.index)
    if len(subs) == 0:
        return out.assign(opened=[], lines_per_id=[], is_fixed=[], is_iot=[], birth_year=[], is_student=[])
    out["opened"] = pd.to_datetime(subs["open_time"], utc=True, errors="coerce", format="ISO8601")
    ids = subs["id_no"].fillna("")
    out["lines_per_id"] = ids.map(ids[ids != ""].value_counts()).fillna(1).astype(float)
    out["is_fixed"] = (subs["line_type"] == "fixed").astype(float)
    out["is_iot"] = (subs["line_type"] == "iot").astype(float)
    out["birth_year"] = pd.to_numeric(ids.str.slice(6, 10), errors="coerce")
    out["is_student"] = (subs["occupation"].fillna("") == "student").astype(float)
    return out


def static_features(ctx: DetectionContext, as_of: int) -> pd.DataFrame:
    """Registration facts per line: line type, age of the line, lines under the same ID, owner."""
    f = ctx.memo("static_facts", lambda: registration_facts(ctx.subscribers()))
    out = pd.DataFrame(index=f.index)
    if len(f) == 0:
        return out.assign(line_age_days=[], lines_per_id=[], is_fixed=[], is_iot=[], owner_age=[], is_student=[])
    out["line_age_days"] = (pd.Timestamp(as_of, unit="s", tz="UTC") - f["opened"]).dt.total_seconds() / DAY
    out["lines_per_id"] = f["lines_per_id"]
    out["is_fixed"] = f["is_fixed"]
    out["is_iot"] = f["is_iot"]
    out["owner_age"] = pd.Timestamp(as_of, unit="s").year - f["birth_year"]
    out["is_student"] = f["is_student"]
    return out


def line_frame(ctx: DetectionContext, as_of: int, window: str = WINDOW) -> pd.DataFrame:
    """Numeric features of every line active in (as_of - window, as_of], indexed by msisdn."""
    from fanzha.analytics.features import compute_line_features

    def compute():
        lf = compute_line_features(ctx.engine, as_of=int(as_of), windows=(window,), families=FAMILIES).set_index("msisdn")
        lf = lf.drop(columns=[f"{c}_{window}" for c in STRING_FEATURES if f"{c}_{window}" in lf])
        lf = lf.apply(pd.to_numeric, errors="coerce").astype(float)
        return lf.join(static_features(ctx, as_of), how="left")

    return ctx.memo(("line_frame", int(as_of), window), compute)


def hourly_out(ctx: DetectionContext, *, min_calls: int = 100, short_share: float = 0.5) -> pd.DataFrame:
    """Line-hours matching the operators' rule of thumb: > min_calls outgoing calls, mostly ≤ 10 s."""
    sql = f"""
        SELECT msisdn, (ts // 3600) * 3600 AS hour_ts, COUNT(*) AS calls_out,
               AVG(CASE WHEN duration_s <= 10 THEN 1.0 ELSE 0.0 END) AS short_share, MAX(ts) AS last_ts
        FROM cdr WHERE direction = 'out'
        GROUP BY msisdn, (ts // 3600) * 3600
        HAVING COUNT(*) > {int(min_calls)} AND AVG(CASE WHEN duration_s <= 10 THEN 1.0 ELSE 0.0 END) > {float(short_share)}
    """
    return ctx.df(sql)


def last_record(ctx: DetectionContext, points: pd.DataFrame) -> pd.Series:
    """For (msisdn, as_of) rows: time of the latest call or SMS of the line at or before as_of."""
    if len(points) == 0:
        return pd.Series(dtype=float)
    ctx.engine.register_arrow("_alert_points", pa.Table.from_pandas(
        points[["msisdn", "as_of"]].astype({"msisdn": str, "as_of": np.int64}), preserve_index=False))
    got = ctx.engine.df("""
        SELECT p.msisdn, p.as_of, MAX(e.ts) AS last_ts FROM _alert_points p
        JOIN (SELECT msisdn, ts FROM cdr UNION ALL SELECT msisdn, ts FROM sms) e
          ON e.msisdn = p.msisdn AND e.ts <= p.as_of
        GROUP BY p.msisdn, p.as_of""")
    return got.set_index(["msisdn", "as_of"])["last_ts"]
