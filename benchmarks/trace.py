"""Benchmark: tracing (association graph expansion).

Speed — a synthetic graph of `--edges` undirected edges (default 50 M: IDs, devices incl. SIM-bank
gateways, cells with hubs, call contacts incl. very popular numbers, co-location incl. SIM banks of 32
lines, handsets passed on, counter openings) is compiled to
CSR; then `--queries` random seeds are expanded 2 hops with ranking and reasons; prints build time and
the median / p95 / max query time.

Quality — with `--province` (needs fanzha.sim): simulates a province, builds the graph from its files
on DuckDB, starts from one line of each fraud ring and prints the mean recall of that ring's other
members in the top 20 (recall = hits / min(20, ring size - 1)), next to a same-ID-only baseline; then,
per ring kind (the scenario of labels.csv), the R-precision: from one member, the share of the other
members among the first |ring| − 1 ranked lines. For a SIM bank the members are its SIM lines (label
simbox); the ring's other lines (the card sellers' own phones) are true finds too, so they are taken out
of the ranking rather than counted as misses. `--config` passes a scenario TOML (bank tactics, crowds).

    python benchmarks/trace.py [--edges 50000000] [--queries 50] [--province] [--lines 20000 --days 7]
                               [--config tactics.toml]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from fanzha.analytics.graph.expand import DEFAULT_HOPS, DEFAULT_PRUNE, expand  # noqa: E402
from fanzha.analytics.graph.kinds import EDGE_TYPES, NODE_KINDS  # noqa: E402
from fanzha.analytics.graph.store import from_arrays  # noqa: E402


def _keys(prefix: str, n: int, width: int) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(pc.cast(pa.array(np.arange(n)), pa.string()), width, "0"),
                                       "")


def synthetic(n_edges: int, seed: int = 7):
    """A random graph shaped like an operator's: ~4 M own lines at 50 M edges, scaled with --edges."""
    rng = np.random.default_rng(seed)
    s = n_edges / 50e6
    n_cell, n_dev, n_line, n_person = int(30_000 * s) + 10, int(5e6 * s) + 10, int(6e6 * s) + 10, int(3e6 * s) + 10
    n_own = int(n_line * 0.7)
    # Node ids in key order: C:, D:, L:, P: (so the sorted-key lookup works on these synthetic keys).
    base = {"cell": 0, "device": n_cell, "line": n_cell + n_dev, "person": n_cell + n_dev + n_line}
    n_nodes = base["person"] + n_person
    keys = pa.concat_arrays([_keys("C:", n_cell, 8), _keys("D:", n_dev, 15), _keys("L:", n_line, 11),
                             _keys("P:", n_person, 16)])
    kind = np.repeat(np.arange(4, dtype=np.uint8)[[NODE_KINDS.index(k) for k in ("cell", "device", "line", "person")]],
                     [n_cell, n_dev, n_line, n_person])
    own = np.zeros(n_nodes, bool)
    own[base["line"]:base["line"] + n_own] = True
    parts = []

    def add(kind_name, src, dst, w):
        parts.append((src.astype(np.int32), dst.astype(np.int32), np.full(len(src), EDGE_TYPES.index(kind_name),
                                                                         np.uint8), w.astype(np.float32)))

    own_lines = base["line"] + np.arange(n_own)
    add("same_id", own_lines, base["person"] + rng.integers(0, n_person, n_own), np.ones(n_own))
    # Devices: most lines one handset; 2% of devices are gateways holding 32 SIMs.
    k = int(5e6 * s)
    dev = rng.integers(0, n_dev, k)
    gw = rng.random(k) < 0.2
    dev[gw] = rng.integers(0, max(1, n_dev // 160), gw.sum())
    add("device", base["line"] + rng.integers(0, n_own, k), base["device"] + dev, np.ones(k))
    # Cells: log-normal popularity, so busy cells (stations, campuses) see tens of thousands of lines.
    k = int(16e6 * s)
    pop = rng.lognormal(0, 1.2, n_cell)
    cell = np.searchsorted(np.cumsum(pop / pop.sum()), rng.random(k)).clip(0, n_cell - 1)
    add("cell", base["line"] + rng.integers(0, n_own, k), base["cell"] + cell, rng.integers(1, 50, k))
    # Contacts: any line to any line; popular numbers (hotlines) get hundreds of thousands of callers.
    k = int(20e6 * s)
    peer = np.where(rng.random(k) < 0.1, rng.integers(0, 200, k), rng.integers(0, n_line, k))
    add("contact", base["line"] + rng.integers(0, n_own, k), base["line"] + peer, np.log1p(rng.integers(1, 30, k)))
    # Co-location: neighbours and colleagues (a few pairs per line, among nearby ids), and SIM banks of
    # 32 lines all pairwise co-located (1 % of own lines), as the edges.py thresholds leave them.
    k = int(2.3e6 * s)
    a = rng.integers(0, n_own - 60, k)
    add("co_location", base["line"] + a, base["line"] + a + rng.integers(1, 60, k), rng.uniform(0.8, 3, k))
    banks = own_lines[:(int(n_own * 0.01) // 32) * 32].reshape(-1, 32)
    i, j = np.triu_indices(32, 1)
    add("co_location", banks[:, i].ravel(), banks[:, j].ravel(), rng.uniform(2, 5, banks.shape[0] * len(i)))
    k = int(0.5e6 * s)
    a = rng.integers(0, n_own - 5, k)
    add("device_seq", base["line"] + a, base["line"] + rng.integers(0, n_own, k), np.ones(k))
    k = n_edges - sum(len(p[0]) for p in parts)
    a = rng.integers(0, n_own - 5, k)
    add("counter", base["line"] + a, base["line"] + a + rng.integers(1, 5, k), np.ones(k))
    src, dst, et, w = (np.concatenate([p[i] for p in parts]) for i in range(4))
    labels = pc.utf8_slice_codeunits(keys, 2)
    return dict(keys=keys, labels=labels, kind=kind, own=own, src=src, dst=dst, etype=et, weight=w), own_lines


def speed(n_edges: int, queries: int, hops: int) -> None:
    t0 = time.perf_counter()
    arrays, own_lines = synthetic(n_edges)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    g = from_arrays(**arrays)
    t_csr = time.perf_counter() - t0
    del arrays
    rng = np.random.default_rng(11)
    seeds = rng.choice(own_lines, queries, replace=False)
    print(f"graph: {g.n_nodes:,} nodes, {g.n_edges:,} edges (generated in {t_gen:.1f} s, CSR built in {t_csr:.1f} s)")
    print(f"{'query (top 20 with reasons)':44s} {'median ms':>10s} {'p95 ms':>10s} {'max ms':>10s} "
          f"{'edges read (median)':>20s}")
    # Full 2-hop neighbourhood (prune 1e-4 keeps practically every node) and the default ranking walk.
    for name, kw in ((f"{hops}-hop expansion, full neighbourhood", dict(hops=hops, prune=1e-4)),
                     (f"default walk ({DEFAULT_HOPS} steps, prune {DEFAULT_PRUNE})", {})):
        expand(g, [int(seeds[0])], top=20, **kw)  # warm-up (page cache, numpy)
        times, touched = [], []
        for sd in seeds:
            t0 = time.perf_counter()
            res = expand(g, [int(sd)], top=20, **kw)
            times.append(time.perf_counter() - t0)
            touched.append(sum(len(s.dst) for s in res.steps))
        t = np.array(times) * 1000
        print(f"{name:44s} {np.median(t):10.1f} {np.percentile(t, 95):10.1f} {t.max():10.1f} "
              f"{int(np.median(touched)):>20,}")


def province(lines: int, days: int, seed: int, config: Path | None = None) -> None:
    import tempfile

    import pandas as pd

    from fanzha.analytics.graph import build_edges, compile_graph
    from fanzha.privacy import Protector
    from fanzha.sim import simulate

    out = Path(tempfile.mkdtemp(prefix="trace-province-"))
    t0 = time.perf_counter()
    simulate(lines=lines, days=days, seed=seed, out=out, config=config)
    t_sim = time.perf_counter() - t0
    prot = Protector(b"benchmark-hash-key", b"ZmFuemhhLWJlbmNobWFyay1kYXRhLWtleS0zMmJ5dGU=")
    t0 = time.perf_counter()
    nodes, edges = build_edges(subscribers=_input(out, "subscribers"), cdr=_input(out, "cdr"), protector=prot)
    g = compile_graph(nodes, edges)
    t_build = time.perf_counter() - t0
    labels = pd.read_csv(_input(out, "labels"), dtype=str)
    rings = labels.dropna(subset=["ring_id"]).groupby("ring_id")["msisdn"].apply(list)
    rows = []
    methods = ((f"graph, default walk ({DEFAULT_HOPS} steps)", None, {}),
               ("graph, 2 full hops", None, dict(hops=2, prune=1e-4)),
               ("same-ID only baseline", {"same_id"}, {}))
    for method, types, kw in methods:
        recalls, every, times = [], [], []
        for ring, members in rings.items():
            if len(members) < 2:  # a one-line ring has no other member to find
                continue
            per_seed = []
            # The first member (by number) is "the" seed; every member as seed shows how much that choice matters.
            for seed_line in sorted(members):
                sid = g.node_id("L:" + seed_line)
                t1 = time.perf_counter()
                res = expand(g, [sid], top=20, edge_types=types, evidence=False, **kw)
                times.append(time.perf_counter() - t1)
                others = set(members) - {seed_line}
                per_seed.append(len(others & set(res.table["msisdn"])) / min(20, len(others)))
            recalls.append(per_seed[0])
            every.append(np.mean(per_seed))
        rows.append((method, len(recalls), float(np.mean(recalls)), float(np.median(recalls)),
                     float(np.mean(np.array(recalls) >= 0.9)), float(np.mean(every)), float(np.median(times) * 1000)))
    print(f"province: {lines:,} lines, {days} days, seed {seed}; simulated in {t_sim:.1f} s; graph "
          f"{g.n_nodes:,} nodes / {g.n_edges:,} edges built on DuckDB + compiled in {t_build:.1f} s")
    print(f"{'method':32s} {'rings':>6s} {'mean recall@20':>15s} {'median':>8s} {'rings>=0.9':>11s} "
          f"{'any-member seed':>16s} {'ms/query':>9s}")
    for r in rows:
        print(f"{r[0]:32s} {r[1]:6d} {r[2]:15.3f} {r[3]:8.3f} {r[4]:11.3f} {r[5]:16.3f} {r[6]:9.1f}")
    print("recall@20 = ring members found in the top 20 / min(20, ring size - 1); seed = the ring's first line "
          "by number; any-member seed = mean over every member as seed")
    r_precision(g, labels)


def r_precision(g, labels) -> None:
    """R-precision per ring kind, from the first member and averaged over every member as seed."""
    rows: dict[str, list] = {}
    for ring, df in labels.dropna(subset=["ring_id"]).groupby("ring_id"):
        kind = df["scenario"].mode().iloc[0]
        bank = df[df["label"] == "simbox"]
        members = sorted((bank if len(bank) >= 2 else df)["msisdn"])
        if len(members) < 2:
            continue
        also = set(df["msisdn"]) - set(members)  # the ring's other lines: right, but not what is measured
        per_seed = []
        for seed_line in members:
            res = expand(g, [g.node_id("L:" + seed_line)], top=len(df) + 20, evidence=False)
            others = set(members) - {seed_line}
            ranked = [m for m in res.table["msisdn"] if m not in also][:len(others)]
            per_seed.append(len(others & set(ranked)) / len(others))
        rows.setdefault(kind, []).append((len(members), per_seed[0], float(np.mean(per_seed)), min(per_seed)))
    print(f"{'ring kind':22s} {'rings':>6s} {'members':>8s} {'R-prec (first)':>15s} {'R-prec (any)':>13s} "
          f"{'worst seed':>11s}")
    for kind in sorted(rows):
        r = np.array(rows[kind])
        print(f"{kind:22s} {len(r):6d} {r[:, 0].mean():8.1f} {r[:, 1].mean():15.3f} {r[:, 2].mean():13.3f} "
              f"{r[:, 3].min():11.3f}")
    print("R-precision = other members among the first |members| - 1 ranked lines / (|members| - 1); first = seed "
          "the first member by number, any = mean over every member as seed, worst = the worst single seed")


def _input(folder: Path, name: str) -> Path:
    for cand in (folder / f"{name}.parquet", folder / f"{name}.csv", folder / name):
        if cand.exists():
            return cand
    raise FileNotFoundError(f"{name} not in {folder}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--edges", type=int, default=50_000_000, help="edges of the synthetic speed graph (0: skip)")
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--hops", type=int, default=2, help="depth of the full-neighbourhood speed query")
    ap.add_argument("--province", action="store_true", help="also run the ring-recall benchmark on the simulator")
    ap.add_argument("--lines", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--config", type=Path, default=None, help="scenario TOML for the province ([tactics] shares)")
    args = ap.parse_args()
    if args.edges:
        speed(args.edges, args.queries, args.hops)
    if args.province:
        province(args.lines, args.days, args.seed, args.config)


if __name__ == "__main__":
    main()
