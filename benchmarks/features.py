"""Benchmark: the full 24 h per-line feature set (calling, mobility, device) over N voice CDRs.

    python benchmarks/features.py --work /work/bench-data/features   # 20 M CDRs (+ SMS) on DuckDB; pandas,
                                                    # DuckDB again and Spark local[2] on 2 M for the ratio
    python benchmarks/features.py --cdrs 2000000 --spark-cdrs 500000 --pandas-cdrs 2000000

Data: a province from ``fanzha.sim.simulate`` (one day), tiled into disjoint copies (lines and
IMEIs renamed per copy) until it holds N CDRs, written as an ingest store. Each engine runs in its
own process, so its peak memory (max RSS) is its own; Spark's JVM memory is not in that figure.
The pandas implementation below is a straightforward one of the same features; its result is
compared with DuckDB's (max relative difference) on the same data, so the ratio compares equals.
pandas needs ~10 GB per 2 M CDRs' worth of Python strings, so its run (and DuckDB's run for the
ratio) defaults to 2 M CDRs. DuckDB runs with ``memory_limit`` = ``--duckdb-memory`` (spilling past
it), which with the result (streamed out of DuckDB, ~1.4 GB of Arrow at 20 M CDRs, sorted by msisdn
outside it) is what keeps its peak under the 6 GB target; peak RSS is taken before the result is
written out for the equality check. Reported per engine: wall time, process CPU
time, peak RSS, and the load average before and after the run (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

AS_OF = "2026-11-02T00:00:00+08:00"  # end of the simulated day (the sim starts 2026-11-01)
DUCKDB_MEMORY = "3.2GB"


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------

def make_store(*, folder: Path, cdrs: int, lines: int, seed: int) -> dict:
    """Simulate one day, ingest it, tile the stored rows to ``cdrs`` voice records."""
    import duckdb

    from fanzha.analytics.ingest import ingest
    from fanzha.sim import simulate

    base = folder / "province"
    if not (base / "cdr").exists():
        simulate(lines=lines, days=1, seed=seed, out=base, fmt="parquet")
    seed_store = folder / "seed-store"
    if not (seed_store / "cdr").exists():
        ingest(store=seed_store, cdr=base / "cdr", sms=base / "sms")
    store = folder / f"store-{cdrs}"
    if (store / "cdr").exists():
        return {"store": store, "cells": base / "cells.parquet", "subscribers": base / "subscribers.parquet"}
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    for kind in ("cdr", "sms"):
        con.execute(f"CREATE TABLE {kind} AS SELECT * FROM read_parquet('{seed_store}/{kind}/*/*.parquet', hive_partitioning=true)")
    n_seed = con.execute("SELECT count(*) FROM cdr").fetchone()[0]
    copies = -(-cdrs // n_seed)
    # Own lines and IMEIs get a dense index so each copy renames them without collisions.
    con.execute("""CREATE TABLE own AS SELECT msisdn, row_number() OVER (ORDER BY msisdn) - 1 AS j
                   FROM (SELECT DISTINCT msisdn FROM cdr UNION SELECT DISTINCT msisdn FROM sms)""")
    con.execute("""CREATE TABLE dev AS SELECT imei, row_number() OVER (ORDER BY imei) - 1 AS k
                   FROM (SELECT DISTINCT imei FROM cdr WHERE imei IS NOT NULL UNION SELECT DISTINCT imei FROM sms WHERE imei IS NOT NULL)""")
    n_own = con.execute("SELECT count(*) FROM own").fetchone()[0]
    n_dev = con.execute("SELECT count(*) FROM dev").fetchone()[0]
    for kind, extra in (("cdr", "start_time, duration_s,"), ("sms", "send_time,")):
        limit = f"LIMIT {cdrs}" if kind == "cdr" else f"LIMIT {int(cdrs * con.execute('SELECT count(*) FROM sms').fetchone()[0] / n_seed)}"
        (store / kind).mkdir(parents=True, exist_ok=True)
        con.execute(f"""COPY (
            SELECT t.record_id || '-' || i AS record_id,
                   '133' || lpad(CAST(i * {n_own} + o.j AS VARCHAR), 8, '0') AS msisdn,
                   CASE WHEN po.j IS NULL THEN t.peer ELSE '133' || lpad(CAST(i * {n_own} + po.j AS VARCHAR), 8, '0') END AS peer,
                   t.direction, {extra} t.cell_id,
                   CASE WHEN d.k IS NULL THEN NULL ELSE '35' || lpad(CAST(i * {n_dev} + d.k AS VARCHAR), 13, '0') END AS imei,
                   t.ts, t.day
            FROM {kind} t CROSS JOIN range({copies}) r(i)
            JOIN own o ON o.msisdn = t.msisdn
            LEFT JOIN own po ON po.msisdn = t.peer
            LEFT JOIN dev d ON d.imei = t.imei
            {limit}
        ) TO '{store / kind}' (FORMAT PARQUET, PARTITION_BY (day))""")
    con.close()
    return {"store": store, "cells": base / "cells.parquet", "subscribers": base / "subscribers.parquet"}


# ---------------------------------------------------------------------------------------------
# A straightforward pandas implementation of the same 24 h features
# ---------------------------------------------------------------------------------------------

def _entropy(counts: pd.Series, keys) -> pd.Series:
    tot = counts.groupby(keys).transform("sum")
    p = counts / tot
    return (-(p * np.log(p))).groupby(keys).sum()


def _haversine(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p1 - p2) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon1 - lon2) / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def pandas_line_features(*, store: Path, cells: Path, subscribers: Path, as_of: str, window_s: int = 86400,
                         history_s: int = 30 * 86400, night=(22, 6)) -> pd.DataFrame:
    from fanzha.analytics.features.sql import epoch
    from fanzha.numbers import CARRIER_PREFIXES

    hi = epoch(as_of)
    lo = hi - window_s
    cols = ["msisdn", "peer", "direction", "ts", "cell_id", "imei"]
    cdr = pd.read_parquet(store / "cdr", columns=cols + ["duration_s"])
    sms = pd.read_parquet(store / "sms", columns=cols)
    c = cdr[(cdr.ts > lo) & (cdr.ts <= hi)]
    s = sms[(sms.ts > lo) & (sms.ts <= hi)]
    hist = cdr[(cdr.ts > lo - history_s) & (cdr.ts <= lo)][["msisdn", "peer"]].drop_duplicates()

    def is_night(ts):
        h = ((ts + 28800) % 86400) // 3600
        return (h >= night[0]) | (h < night[1])

    # calling: (line, peer) table first
    out = c.direction == "out"
    d = c.duration_s.astype("int64")
    g = pd.DataFrame({
        "msisdn": c.msisdn, "peer": c.peer, "n": 1, "n_out": out, "n_in": c.direction == "in",
        "n_fwd": c.direction == "fwd", "dur": d, "dur2": d * d, "dur_max": d,
        "n_short": out & (d <= 10), "n_unans": out & (d == 0), "n_night": is_night(c.ts),
    })
    p = g.groupby(["msisdn", "peer"], sort=False).agg(
        n=("n", "sum"), n_out=("n_out", "sum"), n_in=("n_in", "sum"), n_fwd=("n_fwd", "sum"), dur=("dur", "sum"),
        dur2=("dur2", "sum"), dur_max=("dur_max", "max"), n_short=("n_short", "sum"), n_unans=("n_unans", "sum"),
        n_night=("n_night", "sum")).reset_index()
    p = p.merge(hist.assign(seen=True), on=["msisdn", "peer"], how="left")
    p["seen"] = p["seen"].fillna(False).astype(bool)
    peer = p.peer.astype(str)
    intl = (peer.str.startswith("+") & ~peer.str.startswith("+86")) | (peer.str.startswith("00") & ~peer.str.startswith("0086"))
    mobile = ~intl & (peer.str.len() == 11) & peer.str.startswith("1")
    fixed = ~intl & ~mobile & peer.str.startswith("0") & peer.str.len().between(10, 12)

    def carrier(x: pd.Series) -> pd.Series:
        res = pd.Series("other", index=x.index, dtype=object)
        done = pd.Series(False, index=x.index)
        for n in (4, 3, 2):
            pre = x.str[:n]
            hit = pre.map({k: v for k, v in CARRIER_PREFIXES.items() if len(k) == n})
            take = hit.notna() & ~done
            res[take] = hit[take]
            done |= take
        return res

    op = p.n_out > 0
    p = p.assign(op=op, recip=op & (p.n_in > 0), newp=op & ~p.seen, mob=op & mobile, fix=op & fixed, intl=op & intl,
                 other=op & mobile & (carrier(peer) != carrier(p.msisdn.astype(str))))
    k = p.groupby("msisdn", sort=False)
    a = k.agg(calls=("n", "sum"), calls_out=("n_out", "sum"), calls_in=("n_in", "sum"), calls_fwd=("n_fwd", "sum"),
              peers=("n", "size"), peers_out=("op", "sum"), newp=("newp", "sum"), calls_per_peer=("n", "mean"),
              recip=("recip", "sum"), mob=("mob", "sum"), fix=("fix", "sum"), intl=("intl", "sum"), other=("other", "sum"),
              dur_total=("dur", "sum"), dur2=("dur2", "sum"), dur_max=("dur_max", "max"), n_short=("n_short", "sum"),
              n_unans=("n_unans", "sum"), n_night=("n_night", "sum"))
    a["contact_entropy"] = _entropy(p.n.astype(float), p.msisdn)
    with np.errstate(divide="ignore", invalid="ignore"):
        po = a.peers_out.replace(0, np.nan)
        co = a.calls_out.replace(0, np.nan)
        a["out_share"] = a.calls_out / a.calls
        a["new_peer_share"] = a.newp / po
        a["reciprocal_peer_share"] = a.recip / a.peers
        a["callback_share"] = a.recip / po
        a["other_carrier_peer_share"] = a.other / a.mob.replace(0, np.nan)
        a["fixed_peer_share"] = a.fix / po
        a["intl_peer_share"] = a.intl / po
        a["dur_mean"] = a.dur_total / a.calls
        a["dur_std"] = np.sqrt(np.maximum(a.dur2 / a.calls - (a.dur_total / a.calls) ** 2, 0))
        a["short_call_share"] = a.n_short / co
        a["unanswered_share"] = a.n_unans / co
        a["night_share"] = a.n_night / a.calls
    # gaps, calls and SMS separately
    ev = pd.concat([c[cols].assign(kind="call"), s[cols].assign(kind="sms")], ignore_index=True)
    ev = ev.sort_values(["msisdn", "kind", "ts"], kind="stable")
    gap = ev.ts.diff().where(ev.msisdn.eq(ev.msisdn.shift()) & ev.kind.eq(ev.kind.shift())).astype(float)
    gc = gap[ev.kind == "call"].groupby(ev.msisdn[ev.kind == "call"])
    gaps = pd.DataFrame({"gap_mean": gc.mean(), "gap_std": gc.std(ddof=0)}).join(
        gap[ev.kind == "sms"].groupby(ev.msisdn[ev.kind == "sms"]).mean().rename("sms_gap_mean"), how="outer")
    gaps["burstiness"] = (gaps.gap_std - gaps.gap_mean) / (gaps.gap_std + gaps.gap_mean).replace(0, np.nan)
    # SMS
    sp = s.assign(n_out=s.direction == "out", n_in=s.direction == "in", n_night=is_night(s.ts)).groupby(
        ["msisdn", "peer"], sort=False).agg(n=("ts", "size"), n_out=("n_out", "sum"), n_in=("n_in", "sum"),
                                            n_night=("n_night", "sum")).reset_index()
    sa = sp.groupby("msisdn", sort=False).agg(sms_out=("n_out", "sum"), sms_in=("n_in", "sum"), sms_peers=("n", "size"),
                                              n=("n", "sum"), nn=("n_night", "sum"))
    sa["sms_contact_entropy"] = _entropy(sp.n.astype(float), sp.msisdn)
    sa["sms_night_share"] = sa.nn / sa.n
    # activity
    act = pd.DataFrame({"msisdn": ev.msisdn, "day": (ev.ts + 28800) // 86400, "hour": ev.ts // 3600})
    acts = act.groupby("msisdn", sort=False).agg(active_days=("day", "nunique"), active_hours=("hour", "nunique"))
    # mobility: 30-minute samples at the modal cell (ties: first seen, then cell id)
    cl = pd.read_parquet(cells)[["cell_id", "lat", "lon", "region_code"]]
    cl["lat"] = cl.lat.astype(float)
    cl["lon"] = cl.lon.astype(float)
    hall = pd.concat([cdr[cols], sms[cols]], ignore_index=True)
    hall = hall[(hall.ts > lo - history_s) & (hall.ts <= hi) & hall.cell_id.notna()]
    hall = hall.assign(bin=hall.ts // 1800, inw=hall.ts > lo)

    def samples(e):
        lc = e.groupby(["msisdn", "bin", "cell_id"], sort=False).agg(n=("ts", "size"), t0=("ts", "min")).reset_index()
        lc = lc.sort_values(["msisdn", "bin", "n", "t0", "cell_id"], ascending=[True, True, False, True, True])
        smp = lc.drop_duplicates(["msisdn", "bin"])
        smp = smp.assign(night=is_night(smp.bin * 1800))
        sc = smp.groupby(["msisdn", "cell_id"], sort=False).agg(n=("bin", "size"), n_night=("night", "sum"),
                                                               first_bin=("bin", "min")).reset_index()
        return sc.merge(cl, on="cell_id", how="left")

    scw, scu = samples(hall[hall.inw]), samples(hall)

    def bary(sc):
        loc = sc[sc.lat.notna() & sc.lon.notna()]
        w = loc.groupby("msisdn").n.sum()
        return pd.DataFrame({"blat": (loc.n * loc.lat).groupby(loc.msisdn).sum() / w,
                             "blon": (loc.n * loc.lon).groupby(loc.msisdn).sum() / w})

    bw, bu = bary(scw), bary(scu)
    m = scw.groupby("msisdn", sort=False).agg(location_samples=("n", "sum"), distinct_cells=("n", "size"))
    m["cell_entropy"] = _entropy(scw.n.astype(float), scw.msisdn)
    j = scw.join(bw, on="msisdn")
    j = j[j.lat.notna()]
    d2 = j.n * _haversine(j.lat, j.lon, j.blat, j.blon) ** 2
    m["radius_of_gyration_km"] = np.sqrt(d2.groupby(j.msisdn).sum() / j.n.groupby(j.msisdn).sum())
    home = scw.sort_values(["msisdn", "n_night", "n", "first_bin", "cell_id"], ascending=[True, False, False, True, True]).drop_duplicates("msisdn").set_index("msisdn")
    m["home_cell_share"] = home.n / m.location_samples
    reg = scu[scu.region_code.notna()].groupby(["msisdn", "region_code"]).agg(nn=("n_night", "sum"), n=("n", "sum")).reset_index()
    reg = reg.sort_values(["msisdn", "nn", "n", "region_code"], ascending=[True, False, False, True]).drop_duplicates("msisdn").set_index("msisdn")
    m["home_region"] = reg.region_code
    ww = scw[scw.region_code.notna()].join(reg.region_code.rename("hr"), on="msisdn", how="inner")
    m["outside_home_share"] = (ww.n * (ww.region_code != ww.hr)).groupby(ww.msisdn).sum() / ww.n.groupby(ww.msisdn).sum()
    bb = bw.join(bu, rsuffix="_u")
    m["usual_distance_km"] = _haversine(bb.blat, bb.blon, bb.blat_u, bb.blon_u)
    sub = pd.read_parquet(subscribers, columns=["msisdn", "id_no"]).groupby("msisdn").id_no.max()
    m["id_region"] = sub.reindex(m.index).str[:6]
    idn, hr = sub.reindex(m.index), m.home_region
    lvl = np.select([idn.str[:6] == hr, idn.str[:4] == hr.str[:4], idn.str[:2] == hr.str[:2]], [3, 2, 1], 0).astype(float)
    m["home_id_match"] = np.where(hr.isna() | idn.isna(), np.nan, lvl)
    # device
    li = ev[ev.imei.notna()].groupby(["msisdn", "imei"], sort=False).size().rename("n").reset_index()
    li["lines"] = li.groupby("imei").msisdn.transform("size")
    li["tac"] = li.imei.str[:8]
    dv = li.groupby("msisdn", sort=False).agg(imeis=("imei", "size"), tacs=("tac", "nunique"), max_lines_on_imei=("lines", "max"))
    tac = li.groupby(["msisdn", "tac"]).n.sum().reset_index().sort_values(["msisdn", "n", "tac"], ascending=[True, False, True])
    dv["main_tac"] = tac.drop_duplicates("msisdn").set_index("msisdn").tac
    res = acts.join([a, gaps, sa[["sms_out", "sms_in", "sms_peers", "sms_contact_entropy", "sms_night_share"]], m, dv])
    from fanzha.analytics.features import features

    for f in features(entity="line"):
        if f.fill is not None:
            res[f.name] = res[f.name].fillna(f.fill)
    return res.sort_index()


# ---------------------------------------------------------------------------------------------
# Workers (one process per engine) and the report
# ---------------------------------------------------------------------------------------------

def _worker(args) -> None:
    store, cells, subs = Path(args.store), Path(args.cells_file), Path(args.subscribers_file)
    t0, c0 = time.perf_counter(), time.process_time()
    if args.worker == "pandas":
        df = pandas_line_features(store=store, cells=cells, subscribers=subs, as_of=AS_OF)
        version = f"pandas {pd.__version__}"
    else:
        from fanzha.analytics.engines import get_engine
        from fanzha.analytics.features import compute_line_features
        from fanzha.analytics.inputs import register_inputs

        kwargs = ({"conf": {"spark.sql.shuffle.partitions": "4", "spark.driver.memory": "6g"}} if args.worker == "spark"
                  else {"memory_limit": args.duckdb_memory})
        eng = get_engine(args.worker, **kwargs)
        if args.worker == "spark":
            eng.spark  # start the JVM outside the timed part
            t0, c0 = time.perf_counter(), time.process_time()
        register_inputs(eng, store=store, cells=cells, subscribers=subs)
        df = compute_line_features(eng, as_of=AS_OF, windows=("24h",)).set_index("msisdn")
        df.columns = [c.removesuffix("_24h") for c in df.columns]
        version = eng.version()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    # Peak memory of the computation, before the result is written for the equality check.
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.result:
        df.to_parquet(args.result)
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": len(df), "cols": df.shape[1], "version": version,
                      "maxrss_mb": maxrss_mb}))


def _run(worker: str, data: dict, result: Path | None) -> dict:
    cmd = [sys.executable, __file__, "--worker", worker, "--duckdb-memory", DUCKDB_MEMORY, "--store", str(data["store"]),
           "--cells-file", str(data["cells"]), "--subscribers-file", str(data["subscribers"])]
    if result:
        cmd += ["--result", str(result)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env={**os.environ, "PYSPARK_PYTHON": sys.executable})
    return json.loads(out.stdout.strip().splitlines()[-1])


def _count(store: Path, kind: str) -> int:
    import duckdb

    return duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{store}/{kind}/*/*.parquet')").fetchone()[0]


def _max_rel_diff(a: pd.DataFrame, b: pd.DataFrame) -> float:
    a, b = a.sort_index(), b.sort_index()[a.columns]
    assert a.index.equals(b.index), "different lines"
    worst = 0.0
    for col in a.columns:
        x, y = a[col], b[col]
        if x.dtype.kind in "fiub" or y.dtype.kind in "fiub":
            x, y = x.astype(float).to_numpy(), y.astype(float).to_numpy()
            both = ~(np.isnan(x) & np.isnan(y))
            if (np.isnan(x) != np.isnan(y)).any():
                return float("inf")
            ok = both & ~np.isnan(x)
            rel = np.abs(x[ok] - y[ok]) / np.maximum(1.0, np.abs(y[ok]))
            worst = max(worst, float(rel.max(initial=0.0)))
        elif x.fillna("").astype(str).tolist() != y.fillna("").astype(str).tolist():
            return float("inf")
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cdrs", type=int, default=20_000_000, help="voice CDRs in the 24 h window")
    ap.add_argument("--pandas-cdrs", type=int, default=2_000_000, help="CDRs for the pandas run (and DuckDB's for the ratio)")
    ap.add_argument("--duckdb-memory", default="3.2GB", help="DuckDB memory_limit (spills past it); the result (~1.4 GB at 20 M CDRs) and its sorted copy come on top")
    ap.add_argument("--spark-cdrs", type=int, default=2_000_000, help="CDRs for the Spark run (0 = skip)")
    ap.add_argument("--lines", type=int, default=20_000, help="lines in the simulated seed province")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, default=None, help="folder for data (default: a temp folder)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    ap.add_argument("--cells-file", help=argparse.SUPPRESS)
    ap.add_argument("--subscribers-file", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        _worker(args)
        return
    global DUCKDB_MEMORY
    DUCKDB_MEMORY = args.duckdb_memory
    work = args.work or Path(tempfile.mkdtemp(prefix="fanzha-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    pandas_cdrs = args.pandas_cdrs or args.cdrs
    load_before = os.getloadavg()[0]
    sizes = sorted({args.cdrs, pandas_cdrs} | ({args.spark_cdrs} if args.spark_cdrs else set()))
    t = time.perf_counter()
    data = {n: make_store(folder=work, cdrs=n, lines=args.lines, seed=args.seed) for n in sizes}
    prep = time.perf_counter() - t
    rows = []

    def record(engine, n, r):
        sms = _count(data[n]["store"], "sms")
        rows.append((engine, n, sms, r["seconds"], n / r["seconds"], r["cpu"], r["maxrss_mb"], r["rows"], r["version"]))
        return r

    duck = record("DuckDB", args.cdrs, _run("duckdb", data[args.cdrs], work / "duck.parquet"))
    duck_same = duck
    if pandas_cdrs != args.cdrs:
        duck_same = record("DuckDB", pandas_cdrs, _run("duckdb", data[pandas_cdrs], work / "duck.parquet"))
    pand = record("pandas", pandas_cdrs, _run("pandas", data[pandas_cdrs], work / "pandas.parquet"))
    diff = _max_rel_diff(pd.read_parquet(work / "duck.parquet"), pd.read_parquet(work / "pandas.parquet"))
    if args.spark_cdrs:
        record("Spark local[2]", args.spark_cdrs, _run("spark", data[args.spark_cdrs], None))

    print(f"\n24 h per-line features ({duck['cols']} columns), as_of {AS_OF}; data prep {prep:.0f} s; "
          f"{os.cpu_count()} cores, load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after; "
          f"DuckDB memory_limit {args.duckdb_memory}")
    head = (f"{'engine':<16}{'CDRs':>12}{'SMS':>11}{'wall s':>9}{'CDRs/s':>12}{'CPU s':>8}"
            f"{'CDRs/CPU-s':>12}{'peak MB':>9}{'lines':>9}  version")
    print(head)
    print("-" * len(head))
    for engine, n, sms, sec, rate, cpu, mb, lines, version in rows:
        jvm = "Spark" in engine  # the work happens in the JVM: driver CPU and RSS say nothing
        cpu_txt = f"{'(JVM)':>8}{'':>12}" if jvm else f"{cpu:>8.1f}{n / cpu:>12,.0f}"
        mb_txt = f"{'(JVM)':>9}" if jvm else f"{mb:9.0f}"
        print(f"{engine:<16}{n:>12,}{sms:>11,}{sec:>9.2f}{rate:>12,.0f}{cpu_txt}{mb_txt}{lines:>9,}  {version}")
    print(f"\nDuckDB / pandas speed ratio on {pandas_cdrs:,} CDRs: {pand['seconds'] / duck_same['seconds']:.1f}x")
    print(f"max relative difference DuckDB vs pandas over all features: {diff:.2e}")
    print(f"targets: DuckDB >= 2,000,000 CDRs/s ({'met' if args.cdrs / duck['seconds'] >= 2e6 else 'NOT met'}), "
          f">= 5x pandas ({'met' if pand['seconds'] / duck_same['seconds'] >= 5 else 'NOT met'}), "
          f"peak < 6 GB ({'met' if duck['maxrss_mb'] < 6144 else 'NOT met'})")


if __name__ == "__main__":
    main()
