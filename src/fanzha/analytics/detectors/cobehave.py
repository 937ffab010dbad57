"""SIM banks by co-behaviour: the SIMs of a bank live together — they make records in the same cells in
the same clock hours, move together, share handsets over time — whatever the operators do to each line.

One decision, :func:`groups_at`, used by the batch detector (``simbox``, replayed at every clock hour) and
by the monitor (``stream.score.box_groups``, at the current window end): both hand it the same tables,
shaped as the monitor's hourly buckets (:class:`Sources`), so batch and live give the same members.

At a checkpoint ``hi`` (a clock-hour end) over the window ``[hi - window_s, hi)``:

1. Candidates: lines with ≥ ``min_calls_out`` outgoing calls in the window (only they enter the pair join,
   which keeps it bounded).
2. Co-occurrence: two candidates co-occur in a (cell, hour) when both made calls there. A pair's weight
   is the sum over its shared cell-hours of ``1 / ln(c + 5)``, ``c`` = all lines seen in that cell-hour
   (FRAUDAR-style column weighting: a crowded cell-hour — a campus, a station — counts less per pair).
   A pair is strong with ≥ ``min_shared_hours`` shared clock hours and weight ≥ ``min_pair_weight``;
   sharing an IMEI in the window (a gateway, an IMEI rewritten onto several SIMs) is strong as well.
3. Dense groups: connected components of strong pairs, peeled (a member needs strong ties to at least
   ``core_share`` of the others) to a dense core of ≥ ``min_members``.
4. Box-like as a group: each member's window traffic with everybody *outside* the group — fellow members
   and accomplices (numbers calling in to ≥ 2 members) are counted apart, so fake inbound calls do not
   hide the bank — must be mostly outgoing, to many different numbers, with (almost) no peer calling back.
   The box-like members are peeled again; ≥ ``min_members`` left make a bank.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

HOUR = 3600
DAY = 86400


@dataclass(frozen=True)
class BoxRules:
    window_s: int = DAY  # the monitor's window (StateStore.window_s), so batch and live decide alike
    min_calls_out: int = 10  # outgoing calls in the window to enter the pair join
    min_shared_hours: int = 3  # distinct clock hours a pair shares a cell
    min_pair_weight: float = 1.5  # Σ 1/ln(c+5) over the shared cell-hours (≈ 5 hours in a cell of 20 lines)
    core_share: float = 0.75  # a core member is strongly tied to this share of the other members
    min_members: int = 4
    min_ext_out_share: float = 0.9  # outgoing share of the calls with outsiders
    min_peer_ratio: float = 0.5  # distinct outside peers called per outgoing call (few repeat peers)
    max_callback_share: float = 0.2  # outside peers called that also called in (social ties)
    min_device_lines: int = 3  # an IMEI carrying this many members names the group (a device)
    min_static_share: float = 0.8  # the group's calls in its main cell: a static group names the cell
    max_imei_lines: int = 200  # an IMEI on more lines (a placeholder value) is not a device tie


@dataclass(frozen=True)
class Sources:
    """Tables (or subqueries) with the monitor's bucket columns; rows may be fragments (summed here).

    ``line_hour``: msisdn, hour_ts, calls_out, calls_in, n_short, c_last; ``line_cell_hour``: msisdn,
    cell_id, hour_ts, n; ``line_imei_hour``: msisdn, imei, hour_ts, n; ``pair_hour``: msisdn, peer,
    hour_ts, n_out, n_in (calls); ``cell_lines``: cell_id, hour_ts, msisdn (one row per line seen in a
    cell-hour, any number of times — the crowd count is its distinct lines)."""

    line_hour: str
    line_cell_hour: str
    line_imei_hour: str
    pair_hour: str
    cell_lines: str


def _win(lo: int, hi: int, col: str = "hour_ts") -> str:
    return f"{col} >= {int(lo)} AND {col} < {int(hi)}"


def candidates_sql(src: Sources, lo: int, hi: int, rules: BoxRules) -> str:
    return f"""SELECT msisdn, CAST(SUM(calls_out) AS BIGINT) AS calls_out, CAST(SUM(calls_in) AS BIGINT) AS calls_in,
                 CAST(SUM(n_short) AS BIGINT) AS n_short, MAX(c_last) AS last_ts FROM {src.line_hour} WHERE {_win(lo, hi)}
               GROUP BY msisdn HAVING SUM(calls_out) >= {int(rules.min_calls_out)}"""


def pairs_sql(src: Sources, lo: int, hi: int, rules: BoxRules, cand: str) -> str:
    """Strong co-occurrence pairs among the candidates (table ``cand``): weight, shared hours and cells."""
    return f"""
WITH lch AS (SELECT DISTINCT msisdn, cell_id, hour_ts FROM {src.line_cell_hour}
             WHERE {_win(lo, hi)} AND msisdn IN (SELECT msisdn FROM {cand})),
cw AS (SELECT cell_id, hour_ts FROM lch GROUP BY cell_id, hour_ts HAVING COUNT(*) >= 2),
crowd AS (SELECT s.cell_id, s.hour_ts, COUNT(DISTINCT s.msisdn) AS lines FROM {src.cell_lines} s
          SEMI JOIN cw ON cw.cell_id = s.cell_id AND cw.hour_ts = s.hour_ts
          WHERE {_win(lo, hi, 's.hour_ts')} GROUP BY s.cell_id, s.hour_ts),
x AS (SELECT a.msisdn AS a, b.msisdn AS b, a.hour_ts, a.cell_id, 1.0 / LN(w.lines + 5) AS w
      FROM lch a JOIN lch b ON a.cell_id = b.cell_id AND a.hour_ts = b.hour_ts AND a.msisdn < b.msisdn
      JOIN crowd w ON w.cell_id = a.cell_id AND w.hour_ts = a.hour_ts)
SELECT a, b, SUM(w) AS weight, COUNT(DISTINCT hour_ts) AS hours FROM x GROUP BY a, b
HAVING COUNT(DISTINCT hour_ts) >= {int(rules.min_shared_hours)} AND SUM(w) >= {float(rules.min_pair_weight) - 1e-9}"""  # the batch sums in another order


def imeis_sql(src: Sources, lo: int, hi: int, cand: str) -> str:
    return f"""SELECT msisdn, imei, CAST(SUM(n) AS BIGINT) AS n FROM {src.line_imei_hour}
               WHERE {_win(lo, hi)} AND msisdn IN (SELECT msisdn FROM {cand}) GROUP BY msisdn, imei"""


def profile_sql(src: Sources, lo: int, hi: int, cores: str) -> tuple[str, str, str]:
    """Per member of table ``cores`` (msisdn, core): calls with outsiders, and with insiders — fellow members
    of its core and accomplices (outside numbers that called ≥ 2 members of the core), counted apart.
    Three statements: the member × peer calls flagged inside or not (temp table ``_sb_calls``), the
    profile per member, the accomplices per core."""
    flag = f"""CREATE OR REPLACE TEMP TABLE _sb_calls AS
WITH t AS (SELECT p.msisdn, p.peer, c.core, CAST(SUM(p.n_out) AS BIGINT) AS n_out, CAST(SUM(p.n_in) AS BIGINT) AS n_in
           FROM {src.pair_hour} p JOIN {cores} c ON c.msisdn = p.msisdn WHERE {_win(lo, hi, 'p.hour_ts')}
           GROUP BY p.msisdn, p.peer, c.core),
f AS (SELECT t.*, COALESCE(pc.core = t.core, false) AS fellow FROM t LEFT JOIN {cores} pc ON pc.msisdn = t.peer),
acc AS (SELECT core, peer FROM f WHERE n_in > 0 AND NOT fellow GROUP BY core, peer HAVING COUNT(DISTINCT msisdn) >= 2)
SELECT f.*, a.peer IS NOT NULL AS accomplice, f.fellow OR a.peer IS NOT NULL AS inside
FROM f LEFT JOIN acc a ON a.core = f.core AND a.peer = f.peer"""
    profile = """SELECT msisdn,
  CAST(SUM(CASE WHEN inside THEN 0 ELSE n_out END) AS BIGINT) AS ext_out,
  CAST(SUM(CASE WHEN inside THEN 0 ELSE n_in END) AS BIGINT) AS ext_in,
  CAST(SUM(CASE WHEN NOT inside AND n_out > 0 THEN 1 ELSE 0 END) AS BIGINT) AS ext_peers_out,
  CAST(SUM(CASE WHEN NOT inside AND n_out > 0 AND n_in > 0 THEN 1 ELSE 0 END) AS BIGINT) AS callbacks,
  CAST(SUM(CASE WHEN inside THEN n_out + n_in ELSE 0 END) AS BIGINT) AS inside_calls
FROM _sb_calls GROUP BY msisdn"""
    accomplices = "SELECT DISTINCT core, peer FROM _sb_calls WHERE accomplice ORDER BY core, peer"
    return flag, profile, accomplices


def _peel(tie: np.ndarray, share: float, k: int) -> np.ndarray:
    """Dense core of a group (``tie``: its members' 0/1 tie matrix, members in msisdn order): drop, one at a
    time, the member with the fewest ties (the smallest msisdn on a tie) while it has ties to fewer than
    ``share`` of the others. Returns the kept positions."""
    n = len(tie)
    if n < k:
        return np.arange(0)
    deg = tie.sum(axis=1).astype(float)
    alive = np.ones(n, dtype=bool)
    while n >= k:
        masked = np.where(alive, deg, np.inf)
        worst = int(np.argmin(masked))
        if masked[worst] >= share * (n - 1):
            break
        alive[worst] = False
        n -= 1
        deg -= tie[worst]
    return np.flatnonzero(alive) if n >= k else np.arange(0)


def box_like(prof: pd.DataFrame, rules: BoxRules) -> pd.Series:
    out, inc, peers = prof["ext_out"], prof["ext_in"], prof["ext_peers_out"]
    return ((out >= rules.min_calls_out) & (out >= rules.min_ext_out_share * (out + inc))
            & (peers >= rules.min_peer_ratio * out) & (prof["callbacks"] <= rules.max_callback_share * peers))


def group_score(n_lines: int, out_share: float, short_share: float, min_lines: int) -> float:
    """0.5 at the minimum group size with a clean outbound profile, rising with size and short calls."""
    size = min(1.0, (n_lines - min_lines + 1) / 6)
    return float(np.clip(0.5 + 0.3 * size + 0.1 * out_share + 0.1 * short_share, 0, 1))


def group_id(members: list[str]) -> str:
    """A readable, stable name for a group without a device or a cell: its smallest member's hash."""
    return "SB" + hashlib.sha1(min(members).encode()).hexdigest()[:10].upper()


def groups_at(engine, src: Sources, lo: int, hi: int, rules: BoxRules, strong_pairs=None) -> list[dict]:
    """SIM-bank groups at checkpoint ``hi`` (window [lo, hi)): members and their profile as a group.
    Where the group was and on which devices is :func:`describe` (asked for once per group to report).
    ``strong_pairs(cand)``: the batch replay's answer to :func:`pairs_sql` for the candidates ``cand``
    (from co-occurrences counted once for the whole run); None asks the SQL."""
    cand = engine.df(candidates_sql(src, lo, hi, rules))
    if len(cand) < rules.min_members:
        return []
    cand["msisdn"] = cand["msisdn"].astype(str)
    engine.register_arrow("_sb_cand", pa.table({"msisdn": cand["msisdn"].tolist()}))
    if strong_pairs is None:
        pairs = engine.df(pairs_sql(src, lo, hi, rules, "_sb_cand"))
    else:
        pairs = strong_pairs(cand["msisdn"])
    imeis = engine.df(imeis_sql(src, lo, hi, "_sb_cand"))
    imeis["msisdn"] = imeis["msisdn"].astype(str)
    width = imeis.groupby("imei")["msisdn"].transform("nunique")
    shared = imeis[(width >= 2) & (width <= rules.max_imei_lines)][["imei", "msisdn"]].drop_duplicates()
    dev = shared.merge(shared, on="imei")
    dev = dev[dev["msisdn_x"] < dev["msisdn_y"]]
    a = np.concatenate([pairs["a"].astype(str).to_numpy(dtype=object), dev["msisdn_x"].to_numpy(dtype=object)])
    b = np.concatenate([pairs["b"].astype(str).to_numpy(dtype=object), dev["msisdn_y"].to_numpy(dtype=object)])
    if not len(a):
        return []
    nodes, inv = np.unique(np.concatenate([a, b]).astype(str), return_inverse=True)
    ea, eb = inv[: len(a)], inv[len(a):]
    n = len(nodes)
    adj = coo_matrix((np.ones(len(ea)), (ea, eb)), shape=(n, n))
    _, comp = connected_components(adj, directed=False)
    order = np.argsort(comp, kind="stable")  # nodes by component, msisdn order inside each
    pos = np.empty(n, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(comp[order])) + 1]
    sizes = np.diff(np.r_[starts, n])
    pos[order] = np.arange(n) - np.repeat(starts, sizes)
    ecomp = comp[ea]
    eorder = np.argsort(ecomp, kind="stable")
    ecut = np.searchsorted(ecomp[eorder], comp[order[starts]])
    ecut = np.r_[ecut, len(ea)]
    groups = []  # (members' node ids, their tie matrix) of each component that can hold a group
    for c, (s0, size) in enumerate(zip(starts, sizes, strict=True)):
        if size < rules.min_members:
            continue
        e = eorder[ecut[c]:ecut[c + 1]]
        tie = np.zeros((size, size))
        tie[pos[ea[e]], pos[eb[e]]] = 1.0
        tie = np.maximum(tie, tie.T)  # a pair tied by co-occurrence and by a device is one tie
        groups.append((order[s0:s0 + size], tie))
    cores = []
    for ids, tie in groups:
        keep = _peel(tie, rules.core_share, rules.min_members)
        if len(keep):
            cores.append((nodes[ids[keep]].tolist(), tie[np.ix_(keep, keep)]))
    if not cores:
        return []
    ties = [t for _, t in cores]
    cores = [c for c, _ in cores]
    core_of = {m: i for i, c in enumerate(cores) for m in c}
    engine.register_arrow("_sb_cores", pa.table({"msisdn": list(core_of), "core": list(core_of.values())}))
    flag, profile, acc_sql = profile_sql(src, lo, hi, "_sb_cores")
    engine.sql(flag)
    prof = engine.df(profile)
    prof = prof.assign(msisdn=prof["msisdn"].astype(str)).set_index("msisdn").reindex(sorted(core_of)).fillna(0)
    acc = engine.df(acc_sql)
    accomplices = {int(c): part["peer"].astype(str).tolist() for c, part in acc.groupby("core")}
    boxy = set(prof.index[box_like(prof, rules)])
    lines = cand.set_index("msisdn")
    out = []
    for i, core in enumerate(cores):
        kept = np.array([j for j, m in enumerate(core) if m in boxy], dtype=np.int64)
        members = [core[j] for j in kept[_peel(ties[i][np.ix_(kept, kept)], rules.core_share, rules.min_members)]]
        if not members:
            continue
        p, ln = prof.loc[members], lines.loc[members]
        ext_out, ext_in, calls_out = float(p["ext_out"].sum()), float(p["ext_in"].sum()), float(ln["calls_out"].sum())
        out_share = ext_out / max(ext_out + ext_in, 1.0)
        short = float(ln["n_short"].sum()) / max(calls_out, 1.0)
        out.append({
            "lines": members, "found_ts": int(hi), "last_ts": int(ln["last_ts"].max()), "calls_out": int(calls_out),
            "out_share": out_share, "short_share": short, "inside_calls": int(p["inside_calls"].sum()),
            "accomplices": accomplices.get(i, []),
            "score": group_score(len(members), out_share, short, rules.min_members),
        })
    return out


def describe(engine, src: Sources, lo: int, hi: int, groups: list[dict], rules: BoxRules) -> None:
    """Adds to each group (in place) where it was hour by hour over [lo, hi), its devices and its subject:
    the IMEI carrying ≥ ``min_device_lines`` members, else the cell of a static group, else the group."""
    if not groups:
        return
    gm = [(i, m) for i, g in enumerate(groups) for m in g["lines"]]
    engine.register_arrow("_sb_gm", pa.table({"gid": [i for i, _ in gm], "msisdn": [m for _, m in gm]}))
    places = engine.df(f"""SELECT g.gid, p.hour_ts, p.cell_id, COUNT(DISTINCT p.msisdn) AS lines, CAST(SUM(p.n) AS BIGINT) AS n
        FROM {src.line_cell_hour} p JOIN _sb_gm g ON g.msisdn = p.msisdn WHERE {_win(lo, hi, 'p.hour_ts')}
        GROUP BY g.gid, p.hour_ts, p.cell_id""")
    devices = engine.df(f"""SELECT g.gid, d.imei, COUNT(DISTINCT d.msisdn) AS lines
        FROM {src.line_imei_hour} d JOIN _sb_gm g ON g.msisdn = d.msisdn WHERE {_win(lo, hi, 'd.hour_ts')}
        GROUP BY g.gid, d.imei""")
    tacs = engine.df(f"""SELECT g.gid, SUBSTR(d.imei, 1, 8) AS tac, COUNT(DISTINCT d.msisdn) AS lines
        FROM {src.line_imei_hour} d JOIN _sb_gm g ON g.msisdn = d.msisdn WHERE {_win(lo, hi, 'd.hour_ts')}
        GROUP BY g.gid, tac""")
    track = (places.sort_values(["gid", "hour_ts", "lines", "cell_id"], ascending=[True, True, False, True])
             .drop_duplicates(["gid", "hour_ts"]))
    track = track[track["lines"] >= 2]  # hours the members were together: the cell most of them were in
    calls = places.groupby(["gid", "cell_id"])["n"].sum().reset_index().sort_values(
        ["gid", "n", "cell_id"], ascending=[True, False, True])
    devices = devices.sort_values(["gid", "lines", "imei"], ascending=[True, False, True])
    tacs = tacs.sort_values(["gid", "lines", "tac"], ascending=[True, False, True])
    by = {name: dict(tuple(f.groupby("gid"))) for name, f in
          (("track", track), ("calls", calls), ("devices", devices), ("tacs", tacs))}
    empty = pd.DataFrame(columns=["hour_ts", "cell_id", "lines", "n", "imei", "tac"])
    for i, g in enumerate(groups):
        t, c, d, k = (by[name].get(i, empty) for name in ("track", "calls", "devices", "tacs"))
        g["track"] = [{"hour_ts": int(h), "cell_id": str(x), "lines": int(n)}
                      for h, x, n in t[["hour_ts", "cell_id", "lines"]].itertuples(index=False)]
        g["cells"] = int(t["cell_id"].nunique())
        g["shared_hours"] = len(g["track"])
        g["moves"] = int((t["cell_id"] != t["cell_id"].shift()).sum() - 1) if len(t) else 0
        g["main_cell"] = str(c["cell_id"].iloc[0]) if len(c) else None
        g["static_share"] = float(c["n"].iloc[0] / c["n"].sum()) if len(c) else 0.0
        g["shared_imeis"] = {str(x): int(n) for x, n in d[["imei", "lines"]].itertuples(index=False) if n >= 2}
        g["tac"], g["tac_lines"] = ((str(k["tac"].iloc[0]), int(k["lines"].iloc[0])) if len(k) else (None, 0))
        if g["tac_lines"] < rules.min_device_lines:
            g["tac"] = None
        g["group_id"] = group_id(g["lines"])
        if len(d) and int(d["lines"].iloc[0]) >= rules.min_device_lines:
            g["kind"], g["subject"] = "imei", str(d["imei"].iloc[0])
        elif g["static_share"] >= rules.min_static_share:
            g["kind"], g["subject"] = "cell", g["main_cell"]
        else:
            g["kind"], g["subject"] = "group", g["group_id"]
