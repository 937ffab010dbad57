"""Mobility per line, on 30-minute location samples as bandicoot does: each (line, half-hour) with
activity counts once, at its most frequent cell, so a burst of calls from one cell does not dominate.
"""

from __future__ import annotations

from fanzha.analytics.features.registry import feature
from fanzha.analytics.features.sql import Span, entropy, events, haversine_km, is_night, ratio

FAMILY = "mobility"
BIN_S = 1800
_CELLS = 1 << 24  # cell ranks packed in the low bits of the modal-cell key
_N_MAX = (1 << 27) - 1  # records of a line in one cell and half-hour, capped so the key fits a BIGINT


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
    span (u = history + window). ``msc_<tag>``: per (line, cell) sample counts of both spans, with
    the cell's position; ``mbary_<tag>``: each line's centre over either span.

    Cells are numbered once per query (``mcell``: rank by cell id, joined with the cell table), so
    the per-sample work groups on integers and the modal cell of a (line, half-hour) is a plain
    MAX of one packed BIGINT: count (27 bits), then earliest first time in the half-hour (11 bits),
    then smallest cell id (24 bits, up to 16.7 M cells) -- the same order on every engine.
    """
    ev = f"({events(usual)}) e"
    parts = [
        (
            f"mcell_{tag}",
            f"""SELECT d.cell_id, ROW_NUMBER() OVER (ORDER BY d.cell_id) AS cr, c.lat, c.lon, c.region_code,
                DENSE_RANK() OVER (ORDER BY c.region_code) AS rr
            FROM (SELECT DISTINCT cell_id FROM {ev} WHERE cell_id IS NOT NULL) d
            LEFT JOIN (SELECT cell_id, MAX(CAST(lat AS DOUBLE)) AS lat, MAX(CAST(lon AS DOUBLE)) AS lon,
                              MAX(region_code) AS region_code FROM cells GROUP BY cell_id) c ON c.cell_id = d.cell_id""",
        ),
        (
            f"mlc_{tag}",
            f"""SELECT e.msisdn, e.ts // {BIN_S} AS bin, d.cr, COUNT(*) AS n_u, MIN(e.ts) AS t0_u,
                COUNT(CASE WHEN e.ts > {window_lo} THEN 1 END) AS n_w,
                MIN(CASE WHEN e.ts > {window_lo} THEN e.ts END) AS t0_w
            FROM {ev} JOIN mcell_{tag} d ON d.cell_id = e.cell_id GROUP BY e.msisdn, e.ts // {BIN_S}, d.cr""",
        ),
    ]

    def key(n: str, t0: str) -> str:
        return f"((LEAST({n}, {_N_MAX}) * 2048 + (2047 - ({t0} - bin * {BIN_S}))) * {_CELLS} + ({_CELLS - 1} - cr))"

    # The modal cell of each (line, half-hour), for both spans in one aggregate.
    parts.append((
        f"mmode_{tag}",
        f"""SELECT msisdn, bin, {_CELLS - 1} - MAX(CASE WHEN n_w > 0 THEN {key("n_w", "t0_w")} END) % {_CELLS} AS cr_w,
            {_CELLS - 1} - MAX({key("n_u", "t0_u")}) % {_CELLS} AS cr_u
        FROM mlc_{tag} GROUP BY msisdn, bin""",
    ))
    # Samples per (line, cell) for both spans in one aggregate: a half-hour whose modal cell is the
    # same in both spans is one row, else one row per span (unpivoted with a two-row join, so the
    # modal cells are read once and DuckDB streams them instead of materialising them).
    night_bin = is_night(night, f"bin * {BIN_S}")
    parts += [
        (
            f"msc_{tag}",
            f"""SELECT s.*, c.lat, c.lon, c.region_code, c.rr FROM (
                SELECT msisdn, cr, COUNT(CASE WHEN w THEN 1 END) AS n_w, COUNT(CASE WHEN u THEN 1 END) AS n_u,
                    COUNT(CASE WHEN w AND {night_bin} THEN 1 END) AS nn_w,
                    COUNT(CASE WHEN u AND {night_bin} THEN 1 END) AS nn_u,
                    MIN(CASE WHEN w THEN bin END) AS first_bin
                FROM (SELECT m.msisdn, m.bin, CASE WHEN k.u THEN m.cr_u ELSE m.cr_w END AS cr,
                             CASE WHEN k.u THEN COALESCE(m.cr_w = m.cr_u, false) ELSE true END AS w, k.u
                      FROM mmode_{tag} m CROSS JOIN (VALUES (true), (false)) k(u) WHERE k.u OR m.cr_w <> m.cr_u) x
                GROUP BY msisdn, cr) s
            JOIN mcell_{tag} c ON c.cr = s.cr""",
        ),
        (
            f"mbary_{tag}",
            f"""SELECT msisdn, SUM(n_w * lat) / NULLIF(SUM(n_w), 0) AS blat_w, SUM(n_w * lon) / NULLIF(SUM(n_w), 0) AS blon_w,
                SUM(n_u * lat) / SUM(n_u) AS blat_u, SUM(n_u * lon) / SUM(n_u) AS blon_u
            FROM msc_{tag} WHERE lat IS NOT NULL AND lon IS NOT NULL GROUP BY msisdn""",
        ),
    ]
    return parts


def _bins(span: Span) -> int:
    return span.hi // BIN_S - span.lo // BIN_S + 1


def _home_key(span: Span) -> str:
    """Order of the home cell (the largest wins): most night samples, then most samples, then first
    seen, then smallest cell id. One packed BIGINT when the window's half-hours fit (windows up to
    85 days), else a struct (slower, and its aggregate state cannot spill)."""
    b = _bins(span).bit_length()
    if 3 * b + 24 <= 62:
        first = f"({(1 << b) - 1} - (sc.first_bin - {span.lo // BIN_S}))"
        return f"(((sc.nn_w * {1 << b} + sc.n_w) * {1 << b} + {first}) * {_CELLS} + ({_CELLS - 1} - sc.cr))"
    return "STRUCT_PACK(nn := sc.nn_w, n := sc.n_w, b := -sc.first_bin, c := -sc.cr)"


def _region_key(usual: Span) -> str:
    """Order of the home region (the largest wins): most night samples, then most samples, then
    smallest region code (its rank among the cells' regions)."""
    b = _bins(usual).bit_length()
    if 2 * b + 24 <= 62:
        return f"((nn * {1 << b} + n) * {_CELLS} + ({_CELLS - 1} - rr))"
    return "STRUCT_PACK(nn := nn, n := n, r := -rr)"


def ctes(*, span: Span, history: Span, night: tuple[int, int], tag: str) -> tuple[list[tuple[str, str]], str]:
    # The usual place is taken over the history before the window and the window itself.
    usual = Span(min(history.lo, span.lo), span.hi)
    parts = _sample_ctes(usual, span.lo, night, tag)
    dist = haversine_km("sc.lat", "sc.lon", "b.blat_w", "b.blon_w")
    parts += [
        (
            f"mregion_{tag}",
            f"""SELECT msisdn, ARG_MAX(region_code, {_region_key(usual)}) AS home_region FROM (
                SELECT msisdn, region_code, MAX(rr) AS rr, CAST(SUM(nn_u) AS BIGINT) AS nn, CAST(SUM(n_u) AS BIGINT) AS n FROM msc_{tag}
                WHERE region_code IS NOT NULL AND n_u > 0 GROUP BY msisdn, region_code) x
            GROUP BY msisdn""",
        ),
        (
            f"mstat_{tag}",
            f"""SELECT sc.msisdn, SUM(sc.n_w) AS location_samples, COUNT(*) AS distinct_cells,
                {entropy("sc.n_w")} AS cell_entropy,
                SQRT(SUM(CASE WHEN sc.lat IS NOT NULL THEN sc.n_w * POWER({dist}, 2) END)
                     / SUM(CASE WHEN sc.lat IS NOT NULL THEN sc.n_w END)) AS radius_of_gyration_km,
                ARG_MAX(sc.n_w, {_home_key(span)}) AS home_n,
                {ratio("SUM(CASE WHEN sc.region_code <> r.home_region THEN sc.n_w ELSE 0 END)",
                       "SUM(CASE WHEN sc.region_code IS NOT NULL AND r.home_region IS NOT NULL THEN sc.n_w END)")} AS outside_home_share,
                MAX(r.home_region) AS home_region,
                {haversine_km("MAX(b.blat_w)", "MAX(b.blon_w)", "MAX(b.blat_u)", "MAX(b.blon_u)")} AS usual_distance_km
            FROM msc_{tag} sc LEFT JOIN mbary_{tag} b ON b.msisdn = sc.msisdn
            LEFT JOIN mregion_{tag} r ON r.msisdn = sc.msisdn
            WHERE sc.n_w > 0 GROUP BY sc.msisdn""",
        ),
        (
            f"mobility_{tag}",
            f"""SELECT st.msisdn, st.location_samples, st.distinct_cells, st.cell_entropy, st.radius_of_gyration_km,
                {ratio("st.home_n", "st.location_samples")} AS home_cell_share,
                st.home_region, st.outside_home_share, st.usual_distance_km,
                SUBSTR(sub.id_no, 1, 6) AS id_region,
                CASE WHEN st.home_region IS NULL OR sub.id_no IS NULL THEN NULL
                     WHEN SUBSTR(sub.id_no, 1, 6) = st.home_region THEN 3
                     WHEN SUBSTR(sub.id_no, 1, 4) = SUBSTR(st.home_region, 1, 4) THEN 2
                     WHEN SUBSTR(sub.id_no, 1, 2) = SUBSTR(st.home_region, 1, 2) THEN 1 ELSE 0 END AS home_id_match
            FROM mstat_{tag} st
            LEFT JOIN (SELECT msisdn, MAX(id_no) AS id_no FROM subscribers GROUP BY msisdn) sub ON sub.msisdn = st.msisdn""",
        ),
    ]
    return parts, f"mobility_{tag}"
