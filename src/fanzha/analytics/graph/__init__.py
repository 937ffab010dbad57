"""Association graph for tracing (溯源): lines, persons (ID hash), devices (IMEI), cells, contacts, counters.

    nodes, edges = build_edges(subscribers=..., cdr=..., protector=...)   # DuckDB SQL (edges.py)
    g = compile_graph(nodes, edges); g.save(DIR); g = Graph.load(DIR)    # CSR, memory-mapped (store.py)
    ids, missing = resolve_seeds(g, ["13307151234"], protector=...)
    result = expand(g, ids, hops=2, edge_types={"same_id", "device"})    # ranked lines + reasons (expand.py)
"""

from fanzha.analytics.graph.edges import build_edges
from fanzha.analytics.graph.expand import Expansion, expand, resolve_seeds
from fanzha.analytics.graph.kinds import EDGE_TYPES, EDGE_ZH
from fanzha.analytics.graph.store import Graph, compile_graph

__all__ = ["EDGE_TYPES", "EDGE_ZH", "Expansion", "Graph", "build_edges", "compile_graph", "expand", "resolve_seeds"]
