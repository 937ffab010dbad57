"""Mobility per line, on 30-minute location samples as bandicoot does: each (line, half-hour) with
activity counts once, at its most frequent cell, so a burst of calls from one cell does not dominate.
"""

from __future__ import annotations

from fanzha.analytics.features.registry import feature
from fanzha.analytics.features.sql import Span, entropy, events, haversine_km, is_night, ratio

FAMILY = "mobility"
BIN_S = 1800


def _f(name, zh, en, fill=None, dtype=None):
    feature(name, FAMILY, "line", zh, en, fill, dtype)


_f("location_samples", "位置样本数(半小时)", "half-hours with a located call or SMS", 0)
_f("distinct_cells", "基站小区数", "distinct cells over the location samples (bandicoot number_of_antennas)", 0)
_f("cell_entropy", "小区熵", "entropy (ln) of samples over cells (bandicoot entropy_of_antennas)")
_f("radius_of_gyration_km", "回转半径(公里)", "radius of gyration of the samples, km (bandicoot radius_of_gyration)")
_f("home_cell_share", "常驻小区占比", "share of samples at the window's home cell (most frequent at night; bandicoot percent_at_home)")
_f("home_region", "常驻区县", "region code (GB/T 2260) where the line mostly is at night over the history span", dtype="str")
_f("outside_home_share", "离开常驻区县占比", "share of the window's samples outside home_region")
_f("usual_distance_km", "偏离常驻位置距离(公里)", "distance between the window's centre and the history span's centre, km")
_f("id_region", "证件归属地", "administrative division of the owner's ID (first 6 digits of id_no)", dtype="str")
_f("home_id_match", "常驻地与证件地一致级别", "home_region vs ID division: 3 same county, 2 same city, 1 same province, 0 none", dtype="int")


def _sample_ctes(usual: Span, window_lo: int, night: tuple[int, int], tag: str) -> list[tuple[str, str]]:
    """Binned location samples, computed in one pass for two spans: the window (w) and the usual
    span (u = history + window). ``msc_<tag>_{w,u}``: per (line, cell) sample counts with positions."""
    parts = [
        (
            f"mlc_{tag}",
            f"""SELECT msisdn, ts // {BIN_S} AS bin, cell_id, COUNT(*) AS n_u, MIN(ts) AS t0_u,
                SUM(CASE WHEN ts > {window_lo} THEN 1 ELSE 0 END) AS n_w,
                MIN(CASE WHEN ts > {window_lo} THEN ts END) AS t0_w
            FROM ({events(usual)}) e WHERE cell_id IS NOT NULL GROUP BY msisdn, ts // {BIN_S}, cell_id""",
        ),
    ]
    # The modal cell of each (line, half-hour), for both spans in one aggregate: the smallest
    # (-count, first time, cell id) wins, so ties resolve the same way on every engine.
    parts.append((
        f"mmode_{tag}",
        f"""SELECT msisdn, bin,
            ARG_MIN(cell_id, STRUCT_PACK(n := -n_w, t := t0_w, c := cell_id)) FILTER (WHERE n_w > 0) AS cell_w,
            ARG_MIN(cell_id, STRUCT_PACK(n := -n_u, t := t0_u, c := cell_id)) AS cell_u
        FROM mlc_{tag} GROUP BY msisdn, bin""",
    ))
    for k in ("w", "u"):
        parts += [
            (f"msamp_{tag}_{k}", f"SELECT msisdn, bin, cell_{k} AS cell_id FROM mmode_{tag} WHERE cell_{k} IS NOT NULL"),
            (
                f"msc_{tag}_{k}",
                f"""SELECT s.msisdn, s.cell_id, COUNT(*) AS n,
                    SUM(CASE WHEN {is_night(night, f"s.bin * {BIN_S}")} THEN 1 ELSE 0 END) AS n_night,
                    MIN(s.bin) AS first_bin,
                    MAX(CAST(c.lat AS DOUBLE)) AS lat, MAX(CAST(c.lon AS DOUBLE)) AS lon,
                    MAX(c.region_code) AS region_code
                FROM msamp_{tag}_{k} s LEFT JOIN cells c ON c.cell_id = s.cell_id
                GROUP BY s.msisdn, s.cell_id""",
            ),
            (
                f"mbary_{tag}_{k}",
                f"""SELECT msisdn, SUM(n * lat) / SUM(n) AS blat, SUM(n * lon) / SUM(n) AS blon
                FROM msc_{tag}_{k} WHERE lat IS NOT NULL AND lon IS NOT NULL GROUP BY msisdn""",
            ),
        ]
    return parts


# Home cell: most night samples, then most samples, then first seen, then cell id.
_home_key = "STRUCT_PACK(nn := -n_night, n := -n, b := first_bin, c := cell_id)"


def ctes(*, span: Span, history: Span, night: tuple[int, int], tag: str) -> tuple[list[tuple[str, str]], str]:
    w, h = f"{tag}_w", f"{tag}_u"
    # The usual place is taken over the history before the window and the window itself.
    usual = Span(min(history.lo, span.lo), span.hi)
    parts = _sample_ctes(usual, span.lo, night, tag)
    dist = haversine_km("sc.lat", "sc.lon", "b.blat", "b.blon")
    parts += [
        (
            f"mstat_{w}",
            f"""SELECT sc.msisdn, SUM(sc.n) AS location_samples, COUNT(*) AS distinct_cells,
                {entropy("sc.n")} AS cell_entropy,
                SQRT(SUM(CASE WHEN sc.lat IS NOT NULL THEN sc.n * POWER({dist}, 2) END)
                     / SUM(CASE WHEN sc.lat IS NOT NULL THEN sc.n END)) AS radius_of_gyration_km
            FROM msc_{w} sc LEFT JOIN mbary_{w} b ON b.msisdn = sc.msisdn GROUP BY sc.msisdn""",
        ),
        (
            f"mhomecell_{w}",
            f"""SELECT msisdn, ARG_MIN(cell_id, {_home_key}) AS home_cell, ARG_MIN(n, {_home_key}) AS home_n
            FROM msc_{w} GROUP BY msisdn""",
        ),
        (
            f"mregion_{w}",
            f"""SELECT msisdn, ARG_MIN(region_code, STRUCT_PACK(nn := -nn, n := -n, r := region_code)) AS home_region FROM (
                SELECT msisdn, region_code, SUM(n_night) AS nn, SUM(n) AS n FROM msc_{h}
                WHERE region_code IS NOT NULL GROUP BY msisdn, region_code) x
            GROUP BY msisdn""",
        ),
        (
            f"moutside_{w}",
            f"""SELECT sc.msisdn,
                {ratio("SUM(CASE WHEN sc.region_code <> r.home_region THEN sc.n ELSE 0 END)", "SUM(sc.n)")} AS outside_home_share
            FROM msc_{w} sc JOIN mregion_{w} r ON r.msisdn = sc.msisdn
            WHERE sc.region_code IS NOT NULL GROUP BY sc.msisdn""",
        ),
        (
            f"mobility_{w}",
            f"""SELECT st.msisdn, st.location_samples, st.distinct_cells, st.cell_entropy, st.radius_of_gyration_km,
                {ratio("hc.home_n", "st.location_samples")} AS home_cell_share,
                r.home_region, o.outside_home_share,
                {haversine_km("bw.blat", "bw.blon", "bh.blat", "bh.blon")} AS usual_distance_km,
                SUBSTR(sub.id_no, 1, 6) AS id_region,
                CASE WHEN r.home_region IS NULL OR sub.id_no IS NULL THEN NULL
                     WHEN SUBSTR(sub.id_no, 1, 6) = r.home_region THEN 3
                     WHEN SUBSTR(sub.id_no, 1, 4) = SUBSTR(r.home_region, 1, 4) THEN 2
                     WHEN SUBSTR(sub.id_no, 1, 2) = SUBSTR(r.home_region, 1, 2) THEN 1 ELSE 0 END AS home_id_match
            FROM mstat_{w} st
            LEFT JOIN mhomecell_{w} hc ON hc.msisdn = st.msisdn
            LEFT JOIN mregion_{w} r ON r.msisdn = st.msisdn
            LEFT JOIN moutside_{w} o ON o.msisdn = st.msisdn
            LEFT JOIN mbary_{w} bw ON bw.msisdn = st.msisdn
            LEFT JOIN mbary_{h} bh ON bh.msisdn = st.msisdn
            LEFT JOIN (SELECT msisdn, MAX(id_no) AS id_no FROM subscribers GROUP BY msisdn) sub ON sub.msisdn = st.msisdn""",
        ),
    ]
    return parts, f"mobility_{w}"
