"""resold_card: a line whose contacts, device, places or trajectory break from its owner's own pattern
(转卖/出租电话卡) — the new holder's contacts replace the owner's, at any distance: a card lent within the
same city breaks as surely as one sold to a border town.

Lines are followed in 6-hour blocks (UTC-aligned, as the monitor's ``line_block`` history). A block is
compared with the line's own earlier blocks — the peers it was in contact with, the devices and cells it
used, where it used to be — and with the owner's registration (ID region, occupation). The contacts
turnover is the core sign (``CORE``): an alert needs it and one more break (new device, new cells,
moved far, calls abroad), so people who change phones (same contacts, new IMEI) and travellers (far
cells, same contacts) do not alert; a card sold far away also alerts on two of moved far, new device and
calls abroad (the owner's history may be too short for the contacts). The first moment a block *so far* reaches 0.5 is when a live
monitor would have alerted: ``fanzha detect`` replays each block hour by hour (the end of each clock
hour in which the line had records), the monitor judges the block as it stands at each pass.

Only lines where the contacts turnover can fire pass the SQL prefilter
(:func:`fanzha.analytics.stream.buckets.resold_candidates_sql`), so the replay touches few lines.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fanzha.analytics.detectors.base import Alert, Reason, register
from fanzha.analytics.detectors.context import HOUR, DetectionContext, epoch_to_time

BLOCK_S = 6 * HOUR


@dataclass(frozen=True)
class ResoldRules:
    far_km: float = 300.0  # moved this far from where the line used to be
    candidate_degrees: float = 1.5  # SQL prefilter of the far-away rule: spread of the line's cells (≈ 150 km)
    intl_share: float = 0.1  # share of outgoing calls/SMS to numbers abroad
    min_records: int = 3  # records in a block (so far) to judge it
    # contacts and places thresholds chosen on training seed 21 (3 FP lines in 60,000 line-days; docs/detection.md)
    min_peers: int = 5  # peers in a block (so far) to judge its contacts
    new_peer_share: float = 0.8  # share of the block's peers never seen in the line's earlier blocks ...
    turnover_rise: float = 0.6  # ... this much above the line's own usual share (a courier's peers are always new)
    min_base_blocks: int = 1  # earlier judged blocks the usual share is taken over
    min_history_peers: int = 10  # the line's own past: distinct peers before the block ...
    history_s: int = 12 * HOUR  # ... and a first block this long before it
    new_cell_share: float = 0.8  # share of the block's cells never used by the line before
    min_history_cells: int = 5


SIGNS = {  # weight, zh, en
    "contacts": (3.0, "联系人更替：{v:.0%}的联系人此前从未联系（远高于该号码平时）",
                 "contacts turnover: {v:.0%} of the peers never in contact before (far above the line's usual)"),
    "moved": (3.0, "远离常驻地{v:.0f}公里", "{v:.0f} km away from where the line used to be"),
    "new_device": (2.0, "启用新终端(IMEI)", "new device (IMEI) never used by the line before"),
    "new_cells": (1.5, "{v:.0%}的基站小区此前从未到过", "{v:.0%} of the cells never used by the line before"),
    "intl": (2.0, "境外通话占比{v:.0%}", "{v:.0%} of outgoing contacts abroad"),
    "away_from_id": (1.0, "远离证件归属地", "far from the owner's ID region"),
    "student": (0.5, "机主为学生", "owner is a student"),
}
TOTAL = sum(w for w, _, _ in SIGNS.values())
CORE = "contacts"  # the new holder's contacts replace the owner's ...
SECOND = {"moved", "new_device", "new_cells", "intl"}  # ... and one more break
FAR = {"moved", "new_device", "intl"}  # or, without the contacts, two of these (a card sold far away)


def _km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(x, dtype=float)) for x in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def candidates_sql(rules: ResoldRules, lines: str, since: int | None = None) -> str:
    """Lines where an alert is possible (necessary conditions, SQL on the block buckets): the contacts
    turnover, or the far-away rule."""
    from fanzha.analytics.stream.buckets import resold_candidates_sql, resold_far_sql

    # contacts fires only with at least ceil(share x min_peers) new peers in the block so far
    # and only where the line's usual share leaves room for the rise.
    contacts = resold_candidates_sql(lines, min_new=int(np.ceil(rules.new_peer_share * rules.min_peers)),
                                     min_history=rules.min_history_peers, history_s=rules.history_s,
                                     min_base=rules.min_base_blocks, max_usual=1.0 - rules.turnover_rise, since=since)
    return f"SELECT msisdn FROM ({contacts}) c UNION SELECT msisdn FROM ({resold_far_sql(lines, rules.candidate_degrees)}) f"


def blocks(ctx: DetectionContext, rules: ResoldRules) -> pd.DataFrame:
    """Hourly additions to the blocks of the candidate lines, one row per clock hour in which the line had
    records (``at``: the end of that hour); :func:`score_blocks` sums them into the block so far at each
    ``at``, as a monitor pass then would see it."""
    from fanzha.analytics.detectors.hourly import build_buckets

    build_buckets(ctx, ("line_block", "line_block_attr"))
    cand = candidates_sql(rules, "SELECT msisdn FROM line_block_attr")
    hourly = ctx.df(f"""
    WITH e AS (
      SELECT msisdn, peer, direction, ts, cell_id, imei FROM cdr WHERE msisdn IN ({cand})
      UNION ALL SELECT msisdn, peer, direction, ts, cell_id, imei FROM sms WHERE msisdn IN ({cand})
    )
    SELECT e.msisdn, (ts // {BLOCK_S}) * {BLOCK_S} AS block_ts, (ts // {HOUR}) * {HOUR} + {HOUR} AS "at",
           COUNT(*) AS records, MAX(ts) AS last_ts, SUM(CAST(c.lat AS DOUBLE)) AS lat_sum,
           SUM(CAST(c.lon AS DOUBLE)) AS lon_sum, COUNT(c.lat) AS n_geo,
           CAST(SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END) AS BIGINT) AS out_n,
           CAST(SUM(CASE WHEN direction = 'out' AND (peer LIKE '+%' OR peer LIKE '00%') THEN 1 ELSE 0 END) AS BIGINT) AS intl_n,
           LIST(DISTINCT imei) FILTER (WHERE imei IS NOT NULL) AS imeis,
           LIST(c.region_code) FILTER (WHERE c.region_code IS NOT NULL) AS regions,
           LIST(DISTINCT peer) FILTER (WHERE peer IS NOT NULL) AS peers,
           LIST(DISTINCT e.cell_id) FILTER (WHERE e.cell_id IS NOT NULL) AS cells
    FROM e LEFT JOIN cells c ON c.cell_id = e.cell_id
    GROUP BY e.msisdn, (ts // {BLOCK_S}) * {BLOCK_S}, (ts // {HOUR}) * {HOUR}
    ORDER BY 1, 3""")
    hourly["regions"] = hourly["regions"].map(lambda v: Counter(v) if v is not None else Counter())
    return hourly


def _region(regions: Counter) -> str | None:
    """The region most records were in (ties: the smallest code)."""
    if not regions:
        return None
    return min(regions.items(), key=lambda kv: (-kv[1], kv[0]))[0]


_COLS = ("msisdn", "block_ts", "at", "records", "last_ts", "lat_sum", "lon_sum", "n_geo", "out_n", "intl_n",
         "imeis", "regions", "peers", "cells")


class _State:
    """A block so far: sums and the sets seen in it."""

    __slots__ = ("records", "last_ts", "lat_sum", "lon_sum", "n_geo", "out_n", "intl_n", "imeis", "regions", "peers", "cells")

    def __init__(self) -> None:
        self.records = self.last_ts = self.n_geo = self.out_n = self.intl_n = 0
        self.lat_sum = self.lon_sum = 0.0
        self.imeis, self.peers, self.cells, self.regions = set(), set(), set(), Counter()

    def add(self, c: dict, i: int) -> _State:
        self.records += int(c["records"][i])
        self.last_ts = max(self.last_ts, int(c["last_ts"][i]))
        for k in ("lat_sum", "lon_sum"):
            v = c[k][i]
            setattr(self, k, getattr(self, k) + (float(v) if v == v and v is not None else 0.0))
        self.n_geo += int(c["n_geo"][i])
        self.out_n += int(c["out_n"][i])
        self.intl_n += int(c["intl_n"][i])
        for k in ("imeis", "peers", "cells"):
            v = c[k][i]
            if v is not None:
                getattr(self, k).update(v)
        self.regions.update(c["regions"][i])
        return self


def score_blocks(frame: pd.DataFrame, subs: pd.DataFrame, rules: ResoldRules, *, increments: bool = False) -> pd.DataFrame:
    """Per block state: the signs that fired and the score. ``frame`` is sorted by msisdn, block_ts, at;
    with ``increments`` its rows are hourly additions to the block (``fanzha detect``: the block so far at
    the end of each hour), else each row is the block as far as known (the monitor's held blocks).
    Causal: a block is compared with the line's earlier blocks only, each as complete as it was known."""
    c = {k: frame[k].tolist() for k in _COLS}
    occupation = subs["occupation"].to_dict() if "occupation" in subs else {}
    id_no = subs["id_no"].to_dict() if "id_no" in subs else {}
    rows = []
    n, i = len(frame), 0
    while i < n:
        msisdn = c["msisdn"][i]
        j = i
        while j < n and c["msisdn"][j] == msisdn:
            j += 1
        home_lat, home_lon, usual = [], [], []  # usual: new-peer shares of earlier judged blocks
        seen_peers, seen_imeis, seen_cells = set(), set(), set()
        first_b = int(c["block_ts"][i])
        student = str(occupation.get(msisdn) or "") == "student"
        id_region = str(id_no.get(msisdn) or "")[:6]
        k = i
        while k < j:
            block_ts = int(c["block_ts"][k])
            m = k
            while m < j and c["block_ts"][m] == c["block_ts"][k]:
                m += 1
            past = _Past(home=(float(np.median(home_lat)), float(np.median(home_lon))) if home_lat else None,
                         usual=float(np.mean(usual)) if len(usual) >= rules.min_base_blocks else None,
                         peers=seen_peers, imeis=seen_imeis, cells=seen_cells, aged=block_ts - first_b >= rules.history_s)
            acc = _State()
            fired: dict[str, float] = {}
            for r in range(k, m):
                b = acc.add(c, r) if increments else _State().add(c, r)
                fired = _judge(b, rules, past, student=student, id_region=id_region)
                points = sum(SIGNS[x][0] for x in fired)
                alert = (CORE in fired and bool(fired.keys() & SECOND)) or len(fired.keys() & FAR) >= 2
                score = 0.5 + 0.5 * points / TOTAL if alert else min(points / TOTAL, 0.45)
                rows.append((msisdn, block_ts, int(c["at"][r]), int(b.last_ts), score, fired))
            # the block as far as known becomes the line's past
            if b.peers and past.aged and len(seen_peers) >= rules.min_history_peers:
                usual.append(len(b.peers - seen_peers) / len(b.peers))
            if not fired and b.n_geo:
                home_lat.append(b.lat_sum / b.n_geo)
                home_lon.append(b.lon_sum / b.n_geo)
            seen_peers |= b.peers
            seen_imeis |= b.imeis
            seen_cells |= b.cells
            k = m
        i = j
    return pd.DataFrame(rows, columns=["msisdn", "block_ts", "at", "last_ts", "score", "fired"])


@dataclass(frozen=True)
class _Past:
    """What the line's earlier blocks say: usual place, usual new-peer share, who, which devices, where."""

    home: tuple[float, float] | None
    usual: float | None
    peers: set
    imeis: set
    cells: set
    aged: bool  # the line's first block is history_s before this one


def _judge(b: _State, rules: ResoldRules, past: _Past, *, student: bool, id_region: str) -> dict[str, float]:
    fired: dict[str, float] = {}
    if b.records < rules.min_records:
        return fired
    if (len(b.peers) >= rules.min_peers and len(past.peers) >= rules.min_history_peers and past.aged
            and past.usual is not None):
        share = len(b.peers - past.peers) / len(b.peers)
        if share >= rules.new_peer_share and share - past.usual >= rules.turnover_rise:
            fired["contacts"] = round(share, 3)
    if past.imeis and b.imeis and not (b.imeis & past.imeis):
        fired["new_device"] = 1.0
    if len(past.cells) >= rules.min_history_cells and b.cells:
        share = len(b.cells - past.cells) / len(b.cells)
        if share >= rules.new_cell_share:
            fired["new_cells"] = round(share, 3)
    if b.n_geo and past.home is not None:
        km = float(_km(past.home[0], past.home[1], b.lat_sum / b.n_geo, b.lon_sum / b.n_geo))
        if km >= rules.far_km:
            fired["moved"] = round(km, 1)
            region = _region(b.regions)
            if id_region and region and str(region)[:4] != id_region[:4]:
                fired["away_from_id"] = 1.0
    if b.out_n and b.intl_n / b.out_n >= rules.intl_share:
        fired["intl"] = float(b.intl_n / b.out_n)
    if fired and student:
        fired["student"] = 1.0
    return fired


@register
class ResoldCardDetector:
    name = "resold_card"

    def __init__(self, rules: ResoldRules | None = None) -> None:
        self.rules = rules or ResoldRules()

    def scored(self, ctx: DetectionContext) -> pd.DataFrame:
        def compute():
            empty = pd.DataFrame(columns=["msisdn", "block_ts", "at", "last_ts", "score", "fired"])
            if ctx.empty:
                return empty
            frame = blocks(ctx, self.rules)
            if len(frame) == 0:
                return empty
            return score_blocks(frame, ctx.subscribers(), self.rules, increments=True)
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
                "first_alert_time": epoch_to_time(int(part["at"].min())),
                "blocks_flagged": int(part["block_ts"].nunique()),
            }
            alerts.append(Alert(subject_type="msisdn", subject=msisdn, detector=self.name, score=float(best["score"]),
                                event_time=epoch_to_time(best["last_ts"]), reasons=reasons, evidence=evidence))
        return alerts
