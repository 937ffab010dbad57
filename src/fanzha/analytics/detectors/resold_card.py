"""resold_card: a line whose trajectory, device and behaviour break from its owner's profile
(转卖/出租电话卡) — e.g. a local student's line suddenly active far away on a new handset,
calling abroad.

Lines are followed in 6-hour blocks. A block is compared with the line's own earlier blocks
(where it used to be, which devices it used) and with the owner's registration (ID region,
occupation). Points for each sign of a break (``SIGNS``), of which at least two of trajectory, device and
behaviour must fire (students travel home; people change phones); the first block reaching 0.5 is when
a live monitor would have alerted. Lines that never move far and never call abroad are skipped
in SQL, so the detailed pass only touches a few lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from fanzha.analytics.detectors.base import Alert, Reason, register
from fanzha.analytics.detectors.context import HOUR, DetectionContext, epoch_to_time

BLOCK_S = 6 * HOUR


@dataclass(frozen=True)
class ResoldRules:
    far_km: float = 300.0  # moved this far from where the line used to be
    candidate_degrees: float = 1.5  # SQL prefilter: spread of the line's cells (≈ 150 km)
    intl_share: float = 0.1  # share of outgoing calls/SMS to numbers abroad
    min_records: int = 3  # records in a block to judge it


SIGNS = {  # weight, zh, en
    "moved": (3.0, "远离常驻地{v:.0f}公里", "{v:.0f} km away from where the line used to be"),
    "new_device": (2.0, "启用新终端(IMEI)", "new device (IMEI) never used by the line before"),
    "intl": (2.0, "境外通话占比{v:.0%}", "{v:.0%} of outgoing contacts abroad"),
    "away_from_id": (1.0, "远离证件归属地", "far from the owner's ID region"),
    "student": (0.5, "机主为学生", "owner is a student"),
}
TOTAL = sum(w for w, _, _ in SIGNS.values())
CORE = {"moved", "new_device", "intl"}  # an alert needs two of these: trajectory, device, behaviour


def _km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(x, dtype=float)) for x in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def blocks(ctx: DetectionContext, rules: ResoldRules) -> pd.DataFrame:
    sql = f"""
    WITH e AS (
      SELECT msisdn, peer, direction, ts, cell_id, imei FROM cdr
      UNION ALL SELECT msisdn, peer, direction, ts, cell_id, imei FROM sms
    ), ec AS (
      SELECT e.*, CAST(c.lat AS DOUBLE) AS lat, CAST(c.lon AS DOUBLE) AS lon, c.region_code
      FROM e LEFT JOIN cells c ON c.cell_id = e.cell_id
    ), cand AS (
      SELECT msisdn FROM ec GROUP BY msisdn
      HAVING MAX(lat) - MIN(lat) >= {rules.candidate_degrees} OR MAX(lon) - MIN(lon) >= {rules.candidate_degrees}
          OR SUM(CASE WHEN direction = 'out' AND (peer LIKE '+%' OR peer LIKE '00%') THEN 1 ELSE 0 END) >= 3
    )
    SELECT msisdn, (ts // {BLOCK_S}) * {BLOCK_S} AS block_ts, COUNT(*) AS records, MAX(ts) AS last_ts,
           AVG(lat) AS lat, AVG(lon) AS lon, MODE(region_code) AS region,
           LIST(DISTINCT imei) FILTER (WHERE imei IS NOT NULL) AS imeis,
           CAST(SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END) AS BIGINT) AS out_n,
           CAST(SUM(CASE WHEN direction = 'out' AND (peer LIKE '+%' OR peer LIKE '00%') THEN 1 ELSE 0 END) AS BIGINT) AS intl_n
    FROM ec WHERE msisdn IN (SELECT msisdn FROM cand)
    GROUP BY msisdn, (ts // {BLOCK_S}) * {BLOCK_S}
    ORDER BY msisdn, block_ts
    """
    return ctx.df(sql)


def quiet_lines(frame: pd.DataFrame, centre: tuple[float, float], rules: ResoldRules) -> pd.Index:
    """Lines on which no sign can fire in any block, found without the block-by-block replay.

    Conservative, vectorised bounds: "moved" compares a block with the centre or with the median of
    earlier block positions, which lies inside the line's latitude/longitude box, so a line whose
    box diagonal and whose distance from the centre stay well below ``far_km`` cannot move far;
    "new_device" needs two different IMEIs; "intl" is a per-block share. Everything else is replayed.
    """
    box = frame.groupby("msisdn", sort=False).agg(
        lat0=("lat", "min"), lat1=("lat", "max"), lon0=("lon", "min"), lon1=("lon", "max"))
    diag = np.fmax(_km(box["lat0"], box["lon0"], box["lat1"], box["lon1"]), _km(box["lat0"], box["lon1"], box["lat1"], box["lon0"]))
    from_centre = pd.Series(_km(centre[0], centre[1], frame["lat"], frame["lon"]), index=frame.index)
    far = from_centre.groupby(frame["msisdn"], sort=False).max()
    out_n = frame["out_n"].astype(float)
    intl = ((out_n > 0) & (frame["intl_n"] / out_n.where(out_n > 0) >= rules.intl_share)).groupby(frame["msisdn"], sort=False).any()
    devices = frame[["msisdn", "imeis"]].explode("imeis").dropna().groupby("msisdn", sort=False)["imeis"].nunique()
    margin = 0.9 * rules.far_km
    quiet = (diag < margin) & (far.reindex(box.index) < margin) & ~intl.reindex(box.index, fill_value=False) \
        & (devices.reindex(box.index, fill_value=0) <= 1)
    return box.index[quiet.fillna(False).to_numpy()]


def score_blocks(frame: pd.DataFrame, subs: pd.DataFrame, centre: tuple[float, float], rules: ResoldRules) -> pd.DataFrame:
    """Per block: the signs that fired and the points score (causal: only earlier blocks count).

    Only lines where a sign can fire (see :func:`quiet_lines`) are replayed block by block in
    Python; the blocks of quiet lines score 0 with no sign."""
    quiet = frame["msisdn"].isin(quiet_lines(frame, centre, rules)) if len(frame) else pd.Series(dtype=bool)
    calm = frame[quiet.to_numpy()] if len(frame) else frame
    calm_rows = pd.DataFrame({"msisdn": calm["msisdn"].to_numpy(), "block_ts": calm["block_ts"].astype(int).to_numpy(),
                              "last_ts": calm["last_ts"].astype(int).to_numpy(), "score": 0.0,
                              "fired": [{} for _ in range(len(calm))]})
    rows = []
    for msisdn, part in frame[~quiet.to_numpy()].groupby("msisdn", sort=True) if len(frame) else ():
        home_lat, home_lon, seen = [], [], set()
        owner = subs.loc[msisdn] if msisdn in subs.index else None
        student = owner is not None and str(owner.get("occupation") or "") == "student"
        id_region = str(owner.get("id_no") or "")[:6] if owner is not None else ""
        for b in part.itertuples(index=False):
            imeis = set(b.imeis) if b.imeis is not None else set()
            fired: dict[str, float] = {}
            if b.records >= rules.min_records and not np.isnan(b.lat):
                ref = (np.median(home_lat), np.median(home_lon)) if home_lat else centre
                km = float(_km(ref[0], ref[1], b.lat, b.lon))
                if km >= rules.far_km:
                    fired["moved"] = round(km, 1)
                    if id_region and b.region and str(b.region)[:4] != id_region[:4]:
                        fired["away_from_id"] = 1.0
                if seen and imeis and not (imeis & seen):
                    fired["new_device"] = 1.0
                if b.out_n and b.intl_n / b.out_n >= rules.intl_share:
                    fired["intl"] = float(b.intl_n / b.out_n)
                if fired and student:
                    fired["student"] = 1.0
            points = sum(SIGNS[k][0] for k in fired)
            score = points / TOTAL
            if len(fired.keys() & CORE) < 2:
                score = min(score, 0.45)  # a trip alone, or a new handset alone, is not a resold card
            rows.append((msisdn, int(b.block_ts), int(b.last_ts), score, fired))
            if not fired and not np.isnan(b.lat):
                home_lat.append(b.lat)
                home_lon.append(b.lon)
            if not fired:
                seen |= imeis
    replayed = pd.DataFrame(rows, columns=["msisdn", "block_ts", "last_ts", "score", "fired"])
    both = pd.concat([replayed, calm_rows], ignore_index=True) if len(calm_rows) else replayed
    return both.sort_values(["msisdn", "block_ts"], kind="stable").reset_index(drop=True)


@register
class ResoldCardDetector:
    name = "resold_card"

    def __init__(self, rules: ResoldRules | None = None) -> None:
        self.rules = rules or ResoldRules()

    def scored(self, ctx: DetectionContext) -> pd.DataFrame:
        def compute():
            empty = pd.DataFrame(columns=["msisdn", "block_ts", "last_ts", "score", "fired"])
            if ctx.empty:
                return empty
            frame = blocks(ctx, self.rules)
            if len(frame) == 0:
                return empty
            centre = ctx.df("""SELECT MEDIAN(CAST(c.lat AS DOUBLE)) AS lat, MEDIAN(CAST(c.lon AS DOUBLE)) AS lon
                               FROM cdr e JOIN cells c ON c.cell_id = e.cell_id""").iloc[0]
            return score_blocks(frame, ctx.subscribers(), (float(centre["lat"]), float(centre["lon"])), self.rules)
        return ctx.memo((self.name, "scored", self.rules), compute)

    def line_scores(self, ctx: DetectionContext) -> pd.Series:
        s = self.scored(ctx)
        return s.groupby("msisdn")["score"].max() if len(s) else pd.Series(dtype=float)

    def detect(self, ctx: DetectionContext) -> list[Alert]:
        s = self.scored(ctx)
        hit = s[s["score"] >= 0.5]
        alerts = []
        for msisdn, part in hit.groupby("msisdn"):
            best = part.sort_values(["score", "block_ts"], ascending=[False, True]).iloc[0]
            reasons = []
            for k, v in best["fired"].items():
                w, zh, en = SIGNS[k]
                reasons.append(Reason(k, v, zh.format(v=v), en.format(v=v), w))
            evidence = {
                "block_start": epoch_to_time(best["block_ts"]), "signs": best["fired"],
                "first_alert_time": epoch_to_time(int(part["block_ts"].min()) + BLOCK_S),
                "blocks_flagged": int(len(part)),
            }
            alerts.append(Alert(subject_type="msisdn", subject=msisdn, detector=self.name, score=float(best["score"]),
                                event_time=epoch_to_time(best["last_ts"]), reasons=reasons, evidence=evidence))
        return alerts
