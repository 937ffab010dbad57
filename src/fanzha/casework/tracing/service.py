"""Tracing for people: run an expansion on the published graph and shape what pages and reports show.

``trace(...)`` returns a JSON-able result. Numbers appear in clear only under ``ranked[i].msisdn`` and
``seed_lines`` (what a case is opened on, like ``case_lines.msisdn``); everything meant for display (labels, reasons, the drawn
subgraph, whose node ids are opaque ``n0, n1, …``) is masked already.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fanzha.analytics.graph import EDGE_TYPES, EDGE_ZH, Graph, expand, resolve_seeds
from fanzha.analytics.graph.build import line_traffic
from fanzha.analytics.graph.expand import DEFAULT_HOPS, describe
from fanzha.analytics.graph.kinds import NODE_PREFIX
from fanzha.analytics.graph.layout import layout
from fanzha.casework.cases import traffic
from fanzha.privacy import mask_id, mask_msisdn

METHOD = ("以种子号码/证件为起点，在关联图（同一证件、共用设备IMEI、同一营业厅同一店员同时段开户、通话联系、同一基站）上"
          "做截断的个性化随机游走（personalised PageRank，按边类型先验分配步长，每步保留 85% 的质量），"
          "号码得分为到达它的游走质量之和；每个号码以输送质量最多的简单路径作为关联理由。")
MAX_SEEDS = 20
NODE_KIND = {prefix: kind for kind, prefix in NODE_PREFIX.items()}


class GraphMissing(RuntimeError):
    """No published graph where the settings say; the message tells how to build one."""


@dataclass(frozen=True)
class TraceParams:
    edge_types: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    hops: int = DEFAULT_HOPS
    top: int = 30

    def __post_init__(self):
        bad = [t for t in self.edge_types if t not in EDGE_TYPES]
        if bad:
            raise ValueError(f"未知的关联类型 unknown edge type: {', '.join(bad)}")
        if not 1 <= self.hops <= 6:
            raise ValueError("步数须在 1–6 之间 hops must be 1..6")
        if not 1 <= self.top <= 200:
            raise ValueError("排名条数须在 1–200 之间 top must be 1..200")
        if self.since and self.until and self.since > self.until:
            raise ValueError("起始时间晚于结束时间 since is after until")

    def as_json(self) -> dict:
        return {"edge_types": list(self.edge_types) or list(EDGE_TYPES), "hops": self.hops, "top": self.top,
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None}


_cache: dict[Path, tuple[float, Graph]] = {}
_lock = threading.Lock()


def load_graph(path: Path) -> Graph:
    """The published graph, memory-mapped once per process and re-opened when it is rebuilt."""
    path = Path(path)
    marker = path / "graph.json"
    if not marker.is_file():
        raise GraphMissing(f"尚未构建关联图（{path}）：请运行 `fanzha graph build --subscribers … --cdr … --out {path}`，"
                           "或 `make demo`")
    stamp = marker.stat().st_mtime
    with _lock:
        hit = _cache.get(path)
        if hit is None or hit[0] != stamp:
            _cache[path] = hit = (stamp, Graph.load(path))
        return hit[1]


def graph_info(g: Graph) -> dict:
    m = g.meta or {}
    return {"nodes": g.n_nodes, "edges": g.n_edges, "data_since": m.get("data_since"),
            "data_until": m.get("data_until"), "built_at": m.get("built_at"), "calls": m.get("calls")}


def mask_imei(imei: str) -> str:
    """Keep the type allocation code (make and model) and the last two digits."""
    s = imei.strip()
    return s[:8] + "*" * max(len(s) - 10, 0) + s[-2:] if len(s) > 10 else "*" * len(s)


def mask_label(kind: str, label: str) -> str:
    if kind == "line":
        return mask_msisdn(label)
    if kind == "device":
        return mask_imei(label)
    return label  # persons are labelled with the masked ID already; cells are not personal data


def mask_seed(seed: str) -> str:
    s = seed.strip()
    return mask_id(s) if len(s) == 18 else mask_msisdn(s)


def parse_seeds(text: str) -> list[str]:
    seeds = list(dict.fromkeys(s for s in text.replace("，", ",").replace(",", " ").split() if s))
    if not seeds:
        raise ValueError("请输入至少一个种子号码或证件号 enter at least one seed")
    if len(seeds) > MAX_SEEDS:
        raise ValueError(f"种子最多 {MAX_SEEDS} 个 at most {MAX_SEEDS} seeds")
    return seeds


def _epoch(t: datetime | None) -> int | None:
    return None if t is None else int(t.timestamp())


def trace(g: Graph, seeds: list[str], *, params: TraceParams, protector) -> dict:
    """Expand from the seeds and return the result (see the module docstring). ValueError if no seed is found."""
    ids, missing = resolve_seeds(g, seeds, protector=protector)
    if not ids:
        raise ValueError("种子不在关联图中 no seed is in the graph: " + "、".join(mask_seed(s) for s in missing))
    res = expand(g, ids, hops=params.hops, top=params.top, edge_types=set(params.edge_types) or None,
                 since=_epoch(params.since), until=_epoch(params.until))
    sub = layout(res.subgraph())
    opaque = {n["id"]: f"n{k}" for k, n in enumerate(sub["nodes"])}
    rank_of = {f"L:{m}": int(r) for m, r in zip(res.table["msisdn"], res.table["rank"])}
    nodes = [{"id": opaque[n["id"]], "kind": n["kind"], "label": mask_label(n["kind"], n["label"]),
              "seed": n["seed"], "own": n["own"], "score": n["score"], "rank": rank_of.get(n["id"]),
              "x": n["x"], "y": n["y"]} for n in sub["nodes"]]
    edges = [{"source": opaque[e["src"]], "target": opaque[e["dst"]], "edge_type": e["edge_type"],
              "label": EDGE_ZH[e["edge_type"]], "weight": e["weight"]} for e in sub["edges"]]
    ranked = []
    for row in res.table.itertuples():
        paths = [[{"src": mask_label(e["src_kind"], e["src"]), "dst": mask_label(e["dst_kind"], e["dst"]),
                   "src_kind": e["src_kind"], "dst_kind": e["dst_kind"], "edge_type": e["edge_type"],
                   "evidence": e.get("evidence")} for e in p] for p in row.paths]
        ranked.append({"rank": int(row.rank), "msisdn": row.msisdn, "shown": mask_msisdn(row.msisdn),
                       "score": float(row.score), "hops": None if row.hops is None else int(row.hops),
                       "edge_types": row.edge_types.split(), "node": opaque.get(f"L:{row.msisdn}"),
                       "reasons": [describe(p, mask_label) for p in row.paths], "paths": paths})
    seed_lines = [g.labels[i].as_py() for i in ids if g.keys[i].as_py().startswith(NODE_PREFIX["line"]) and g.own[i]]
    return {"seeds": [mask_label(NODE_KIND[g.keys[i].as_py()[:2]], g.labels[i].as_py()) for i in ids],
            "seed_lines": seed_lines,  # clear, like ranked[].msisdn: what a case may also be opened on
            "seeds_missing": [mask_seed(s) for s in missing], "params": params.as_json(), "graph": graph_info(g),
            "ranked": ranked, "drawing": {"nodes": nodes, "edges": edges},
            "traced_at": datetime.now(UTC).isoformat(timespec="seconds")}


def traffic_points(graph_dir: Path, stores: Iterable[Path], msisdns: list[str]) -> dict[str, list[traffic.Point]]:
    """Hourly calls of each line: the graph folder's traffic table, else the call-record stores."""
    series = line_traffic(graph_dir, msisdns)
    out = {}
    for m in msisdns:
        rows = series.get(m) or []
        out[m] = ([traffic.Point(datetime.fromtimestamp(h, UTC), c, o) for h, c, o in rows]
                  or traffic.from_store(stores, m))
    return out


def charts(graph_dir: Path, stores: Iterable[Path], ranked: list[dict], *, limit: int = 30, height: int = 120) -> list[dict]:
    """One server-side SVG chart per ranked line (masked caption)."""
    rows = ranked[:limit]
    points = traffic_points(graph_dir, stores, [r["msisdn"] for r in rows])
    return [{"rank": r["rank"], "shown": r["shown"], "node": r["node"],
             "svg": traffic.svg(points[r["msisdn"]], height=height, title=f"{r['shown']} 话务")} for r in rows]
