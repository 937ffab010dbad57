"""Expansion from seeds with a ranking of how strongly each reached line is tied to them.

Method: a truncated personalised random walk (personalised PageRank cut at `hops` steps). The walk starts
on the seeds; at each node it splits its step between the edge types present there by TYPE_PRIOR, then
within a type by edge weight, and keeps (1 - alpha) of the mass at every step. A line's score is the
mass that reaches it, summed over steps: many, strong, specific ties (one ID with three lines, one
gateway with forty SIMs) score high; ties through hubs (a cell with 5,000 lines) are split thin.
Every step's flows are kept, so each ranked line is explained by the paths that carried most mass to it.
Only rows of the nodes being expanded are read (CSR slices), so the cost does not grow with the graph.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fanzha.analytics.graph.kinds import EDGE_TYPES, NODE_KINDS, NODE_PREFIX, NODE_ZH, TYPE_PRIOR, hop_zh
from fanzha.analytics.graph.store import Graph

LINE = NODE_KINDS.index("line")
# Four steps reach a ring's other members through the gang's shared handsets and cells even from a
# mule's personal phone (seed → ID → ring line → handset → ring line); at each step only nodes holding
# ≥ 1 % of that step's mass walk on, which keeps the cost to a few hundred rows per step.
# Measured on the simulator (benchmarks/trace.py): ring recall@20 0.88 with 2 full hops, 0.945 with these.
DEFAULT_HOPS = 4
DEFAULT_PRUNE = 0.01
NT = len(EDGE_TYPES)


@dataclass
class Step:
    src: np.ndarray   # node ids
    dst: np.ndarray
    entry: np.ndarray  # CSR entry (for weight, type, edge row)
    flow: np.ndarray  # mass carried


@dataclass
class Expansion:
    seeds: list[int]
    table: pd.DataFrame                      # ranked lines with reasons
    steps: list[Step] = field(repr=False, default_factory=list)
    graph: Graph | None = field(repr=False, default=None)

    def subgraph(self) -> dict:
        """Nodes and edges on the explained paths (seeds and ranked lines), JSON-ready."""
        g = self.graph
        nodes: dict[int, dict] = {}
        edges: dict[tuple, dict] = {}
        score = dict(zip(self.table["node_id"], self.table["score"]))

        def node(i: int) -> None:
            if i not in nodes:
                nodes[i] = {"id": g.keys[i].as_py(), "kind": NODE_KINDS[g.kind[i]], "label": g.labels[i].as_py(),
                            "seed": i in self.seeds, "own": bool(g.own[i]), "score": float(score.get(i, 0.0))}

        for paths in self.table["paths"]:
            for p in paths:
                for e in p:
                    node(e["src_id"])
                    node(e["dst_id"])
                    k = (min(e["src_id"], e["dst_id"]), max(e["src_id"], e["dst_id"]), e["edge_type"])
                    edges.setdefault(k, {"src": g.keys[k[0]].as_py(), "dst": g.keys[k[1]].as_py(),
                                         "edge_type": e["edge_type"], "weight": e["weight"],
                                         "evidence": e.get("evidence")})
        for s in self.seeds:
            node(s)
        return {"nodes": list(nodes.values()), "edges": list(edges.values())}


def _gather(g: Graph, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row position, CSR entry) for every entry of the given rows — vectorised range concatenation."""
    starts = np.asarray(g.indptr[rows], np.int64)
    lens = np.asarray(g.indptr[rows + 1], np.int64) - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pos = np.repeat(np.arange(len(rows)), lens)
    entry = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(total)
    return pos, entry


def _mask(g: Graph, entry: np.ndarray, allowed: np.ndarray, since: int | None, until: int | None) -> np.ndarray:
    keep = allowed[np.asarray(g.etype[entry])]
    if since is not None:
        keep &= np.asarray(g.t_last[entry]) >= since
    if until is not None:
        keep &= np.asarray(g.t_first[entry]) <= until
    return keep


def propagate(g: Graph, seeds: np.ndarray, *, hops: int = 2, alpha: float = 0.15,
              edge_types: set[str] | None = None, since: int | None = None, until: int | None = None,
              prune: float = 1e-4, priors: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray, list[Step]]:
    """(node ids, scores, steps) of the truncated personalised walk from `seeds`."""
    allowed = np.array([edge_types is None or t in edge_types for t in EDGE_TYPES])
    prior = np.array([{**TYPE_PRIOR, **(priors or {})}[t] for t in EDGE_TYPES], np.float64)
    frontier = np.unique(np.asarray(seeds, np.int64))
    mass = np.full(len(frontier), 1.0 / max(len(frontier), 1))
    reached_nodes, reached_mass, steps = [], [], []
    for _ in range(hops):
        if not len(frontier):
            break
        pos, entry = _gather(g, frontier)
        keep = _mask(g, entry, allowed, since, until)
        pos, entry = pos[keep], entry[keep]
        if not len(entry):
            break
        t = np.asarray(g.etype[entry], np.int64)
        w = np.asarray(g.weight[entry], np.float64)
        # Split each node's step between its edge types (by prior), then within a type by weight.
        key = pos * NT + t
        nkey = len(frontier) * NT
        w_sum = np.bincount(key, weights=w, minlength=nkey)
        present = np.bincount(key, minlength=nkey) > 0
        row_prior = (present.reshape(-1, NT) * prior).sum(axis=1)
        p = prior[t] / row_prior[pos] * w / np.where(w_sum[key] > 0, w_sum[key], 1.0)
        flow = (1 - alpha) * mass[pos] * p
        dst = np.asarray(g.nbr[entry], np.int64)
        steps.append(Step(src=frontier[pos], dst=dst, entry=entry, flow=flow))
        # Hash-based grouping (pandas.factorize): cheaper than a sort for the ~10^5–10^6 flows of a hop.
        inv, nodes = pd.factorize(dst, sort=False)
        nxt = np.bincount(inv, weights=flow)
        reached_nodes.append(nodes)
        reached_mass.append(nxt)
        # Nodes holding almost no mass are not expanded further: their onward flow could not change the top.
        big = nxt >= prune * nxt.sum()
        frontier, mass = nodes[big], nxt[big]
    if not reached_nodes:
        return np.zeros(0, np.int64), np.zeros(0), steps
    inv, u = pd.factorize(np.concatenate(reached_nodes), sort=False)
    return u, np.bincount(inv, weights=np.concatenate(reached_mass)), steps


def _best_incoming(step: Step, node: int) -> int | None:
    """Index of the flow of `step` that carried most mass to `node` (looked up only for path nodes)."""
    idx = np.flatnonzero(step.dst == node)
    return int(idx[np.argmax(step.flow[idx])]) if len(idx) else None


def _edge_info(g: Graph, src: int, dst: int, entry: int, *, with_evidence: bool) -> dict:
    et = EDGE_TYPES[int(g.etype[entry])]
    info = {"src_id": int(src), "dst_id": int(dst), "src": g.labels[src].as_py(), "dst": g.labels[dst].as_py(),
            "src_kind": NODE_KINDS[g.kind[src]], "dst_kind": NODE_KINDS[g.kind[dst]],
            "edge_type": et, "weight": float(g.weight[entry])}
    if with_evidence and g.edges is not None:
        ev = g.edges.column("evidence")[int(g.eid[entry])].as_py()
        info["evidence"] = json.loads(ev) if ev else None
    return info


def describe(path: list[dict], label=lambda kind, text: text) -> str:
    """seed 133…  —同一证件→  证件 4212****  —同一证件→  this line; `label(kind, text)` may mask each node."""
    parts = [label(path[0]["src_kind"], path[0]["src"])]
    for e in path:
        hop = hop_zh(e["edge_type"], e.get("evidence"))
        shown = label(e["dst_kind"], e["dst"])
        parts.append(f"—{hop}→ " + (f"{NODE_ZH[e['dst_kind']]} {shown}" if e["dst_kind"] != "line" else shown))
    return " ".join(parts)


def expand(g: Graph, seeds: list[int], *, hops: int = DEFAULT_HOPS, top: int = 50, alpha: float = 0.15,
           edge_types: set[str] | None = None, since: int | None = None, until: int | None = None,
           own_only: bool = True, reasons_per_line: int = 3, evidence: bool = True,
           priors: dict[str, float] | None = None, prune: float = DEFAULT_PRUNE) -> Expansion:
    """Ranked lines tied to the seeds (node ids), each with its strongest paths as reasons."""
    seed_arr = np.asarray(sorted(set(int(s) for s in seeds)), np.int64)
    nodes, scores, steps = propagate(g, seed_arr, hops=hops, alpha=alpha, edge_types=edge_types, since=since,
                                     until=until, priors=priors, prune=prune)
    cand = (np.asarray(g.kind[nodes]) == LINE) & ~np.isin(nodes, seed_arr)
    if own_only:
        cand &= np.asarray(g.own[nodes])
    nodes, scores = nodes[cand], scores[cand]
    if len(scores) > top:
        part = np.argpartition(-scores, top)[:top]
        nodes, scores = nodes[part], scores[part]
    order = np.lexsort((nodes, -scores))  # ties broken by node id, so rankings are reproducible
    nodes, scores = nodes[order], scores[order]

    seed_set = set(seed_arr.tolist())
    best: dict[tuple[int, int], int | None] = {}
    # Flows into the ranked lines, per step, to pick each line's strongest paths.
    rows = []
    wanted = set(nodes.tolist())
    incoming: dict[int, list[tuple[float, int, int]]] = {v: [] for v in wanted}
    for k, s in enumerate(steps):
        hit = np.flatnonzero(np.isin(s.dst, nodes))
        for i in hit[np.argsort(-s.flow[hit])]:
            lst = incoming[int(s.dst[i])]
            if len(lst) < 4 * reasons_per_line:
                lst.append((float(s.flow[i]), k, int(i)))
    for rank, (v, sc) in enumerate(zip(nodes.tolist(), scores.tolist()), start=1):
        paths, seen = [], set()
        for _flow, k, i in sorted(incoming[v], reverse=True):
            # Walk back along the strongest predecessors; a walk that bounced (revisits a node) explains
            # nothing a reader can follow, so only simple paths from a seed are kept.
            path, kk, ii, visited, simple = [], k, i, {v}, True
            while True:
                s = steps[kk]
                u = int(s.src[ii])
                if u in visited:
                    simple = False
                    break
                visited.add(u)
                path.append(_edge_info(g, u, int(s.dst[ii]), int(s.entry[ii]), with_evidence=evidence))
                if u in seed_set or kk == 0:
                    break
                if (kk - 1, u) not in best:
                    best[(kk - 1, u)] = _best_incoming(steps[kk - 1], u)
                if best[(kk - 1, u)] is None:
                    break
                kk, ii = kk - 1, best[(kk - 1, u)]
            if not simple or path[-1]["src_id"] not in seed_set:
                continue
            path.reverse()
            sig = tuple((e["src_id"], e["edge_type"]) for e in path)
            if sig in seen:
                continue
            seen.add(sig)
            paths.append(path)
            if len(paths) >= reasons_per_line:
                break
        types = sorted({e["edge_type"] for p in paths for e in p}, key=EDGE_TYPES.index)
        rows.append({"rank": rank, "node_id": v, "msisdn": g.labels[v].as_py(), "score": sc,
                     "own": bool(g.own[v]), "hops": min((len(p) for p in paths), default=None),
                     "edge_types": " ".join(types), "reasons": "；".join(describe(p) for p in paths),
                     "paths": paths})
    cols = ["rank", "node_id", "msisdn", "score", "own", "hops", "edge_types", "reasons", "paths"]
    return Expansion(seeds=seed_arr.tolist(), table=pd.DataFrame(rows, columns=cols), steps=steps, graph=g)


def resolve_seeds(g: Graph, seeds: list[str], *, protector=None) -> tuple[list[int], list[str]]:
    """Node ids for seeds given as numbers, 18-character IDs (hashed with `protector`) or node keys;
    also the seeds not found in the graph."""
    found, missing = [], []
    for s in seeds:
        s = s.strip()
        if s[:2] in NODE_PREFIX.values():
            key = s
        elif len(s) == 18 and protector is not None:
            key = NODE_PREFIX["person"] + protector.hash(s)
        else:
            key = NODE_PREFIX["line"] + s
        i = g.node_id(key)
        (found if i >= 0 else missing).append(i if i >= 0 else s)
    return found, missing
