"""Positions for drawing an expansion's subgraph: one layout for the page and the report picture.

Fruchterman–Reingold (networkx.spring_layout) with a fixed seed, so the same trace draws the same way on
the page and in the PDF. Seeds are pinned near the centre; coordinates are scaled to 0..1.
"""

from __future__ import annotations

import networkx as nx
import numpy as np


def layout(subgraph: dict, *, seed: int = 7, iterations: int = 80) -> dict:
    """The subgraph (Expansion.subgraph()) with ``x``, ``y`` in 0..1 added to every node."""
    nodes, edges = subgraph["nodes"], subgraph["edges"]
    if not nodes:
        return {"nodes": [], "edges": list(edges)}
    g = nx.Graph()
    g.add_nodes_from(n["id"] for n in nodes)
    for e in edges:
        # Strong specific ties (same ID, shared device) pull harder than contacts and cells.
        g.add_edge(e["src"], e["dst"], weight=2.0 if e["edge_type"] in ("same_id", "device", "counter") else 1.0)
    seeds = [n["id"] for n in nodes if n.get("seed")]
    init = {n["id"]: np.array([0.0, 0.0]) for n in nodes if n.get("seed")}
    if len(seeds) > 1:
        for k, s in enumerate(seeds):
            a = 2 * np.pi * k / len(seeds)
            init[s] = np.array([0.15 * np.cos(a), 0.15 * np.sin(a)])
    rng = np.random.default_rng(seed)
    pos0 = {n["id"]: init.get(n["id"], rng.uniform(-1, 1, 2)) for n in nodes}
    pos = nx.spring_layout(g, pos=pos0, fixed=seeds or None, k=1.2 / np.sqrt(len(nodes)), iterations=iterations,
                           seed=seed, weight="weight")
    xy = np.array([pos[n["id"]] for n in nodes], float)
    lo, span = xy.min(axis=0), np.ptp(xy, axis=0)
    span[span == 0] = 1.0
    xy = 0.05 + 0.9 * (xy - lo) / span
    out = [{**n, "x": round(float(x), 4), "y": round(float(y), 4)} for n, (x, y) in zip(nodes, xy)]
    return {"nodes": out, "edges": list(edges)}
