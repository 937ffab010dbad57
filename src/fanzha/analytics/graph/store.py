"""The compiled association graph: CSR adjacency in numpy, saved as .npy files read back memory-mapped.

A query touches only the rows it expands, so a 50-million-edge graph opens instantly and a 2-hop
expansion reads a few thousand rows. The edge table (with evidence) is kept beside it as Arrow IPC,
also memory-mapped, and read only for the edges a result explains.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fanzha.analytics.graph.kinds import EDGE_TYPES, NODE_KINDS

_ARRAYS = ("indptr", "nbr", "weight", "etype", "t_first", "t_last", "eid", "kind", "own")
T_MAX = np.iinfo(np.int64).max


@dataclass
class Graph:
    keys: pa.Array          # node keys, sorted (node id = position)
    labels: pa.Array        # what a person may see for the node (masked ID for persons)
    kind: np.ndarray        # uint8 index into NODE_KINDS
    own: np.ndarray         # bool: a line of the operator's own subscribers
    indptr: np.ndarray      # int64 [n_nodes + 1]
    nbr: np.ndarray         # int32 [2 * n_edges]: both directions of every undirected edge
    weight: np.ndarray      # float32
    etype: np.ndarray       # uint8 index into EDGE_TYPES
    t_first: np.ndarray     # int64 epoch seconds
    t_last: np.ndarray
    eid: np.ndarray         # int64 row of the edge in `edges`
    edges: pa.Table | None = None  # src, dst, edge_type, weight, n, t_first, t_last, evidence
    meta: dict = field(default_factory=dict)  # how it was built: sources, data time range, built_at (build.py)

    @property
    def n_nodes(self) -> int:
        return len(self.kind)

    @property
    def n_edges(self) -> int:
        return len(self.nbr) // 2

    def node_id(self, key: str) -> int:
        """Binary search in the sorted keys; -1 if absent (no hash table of millions of strings to build)."""
        lo, hi = 0, len(self.keys)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.keys[mid].as_py() < key:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < len(self.keys) and self.keys[lo].as_py() == key else -1

    def save(self, out: Path) -> Path:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        for name in _ARRAYS:
            np.save(out / f"{name}.npy", getattr(self, name))
        _write_ipc(out / "nodes.arrow", pa.table({"key": self.keys, "label": self.labels}))
        if self.edges is not None:
            _write_ipc(out / "edges.arrow", self.edges)
        (out / "graph.json").write_text(json.dumps(
            {"nodes": self.n_nodes, "edges": self.n_edges, "edge_types": list(EDGE_TYPES),
             "node_kinds": list(NODE_KINDS), "meta": self.meta}, indent=2, ensure_ascii=False))
        return out

    @classmethod
    def load(cls, path: Path, *, mmap: bool = True) -> Graph:
        path = Path(path)
        if not (path / "graph.json").is_file():
            raise FileNotFoundError(f"{path} is not a graph folder (build one with `fanzha graph build`)")
        arrays = {n: np.load(path / f"{n}.npy", mmap_mode="r" if mmap else None) for n in _ARRAYS}
        nodes = _read_ipc(path / "nodes.arrow")
        edges = _read_ipc(path / "edges.arrow") if (path / "edges.arrow").is_file() else None
        meta = json.loads((path / "graph.json").read_text()).get("meta") or {}
        return cls(keys=nodes.column("key").combine_chunks(), labels=nodes.column("label").combine_chunks(),
                   edges=edges, meta=meta, **arrays)


def _write_ipc(path: Path, table: pa.Table) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _read_ipc(path: Path) -> pa.Table:
    return pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()


def csr(n_nodes: int, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indptr, neighbour, edge row) with each undirected edge stored in both rows."""
    m = len(src)
    rows = np.concatenate([src, dst]).astype(np.int32, copy=False)
    cols = np.concatenate([dst, src]).astype(np.int32, copy=False)
    # Order within a row does not matter (each entry keeps its edge row), so the faster unstable sort will do.
    order = np.argsort(rows)
    indptr = np.zeros(n_nodes + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=n_nodes), out=indptr[1:])
    eid = order % m if m else order
    return indptr, cols[order], eid.astype(np.int64)


def from_arrays(*, keys: pa.Array, labels: pa.Array, kind: np.ndarray, own: np.ndarray, src: np.ndarray,
                dst: np.ndarray, etype: np.ndarray, weight: np.ndarray, t_first: np.ndarray | None = None,
                t_last: np.ndarray | None = None, edges: pa.Table | None = None) -> Graph:
    """A graph from integer node ids (keys must already be sorted)."""
    indptr, nbr, eid = csr(len(kind), src, dst)
    m = len(src)
    t0 = np.zeros(m, np.int64) if t_first is None else np.asarray(t_first, np.int64)
    t1 = np.full(m, T_MAX, np.int64) if t_last is None else np.asarray(t_last, np.int64)
    return Graph(keys=keys, labels=labels, kind=np.asarray(kind, np.uint8), own=np.asarray(own, bool),
                 indptr=indptr, nbr=nbr, weight=np.asarray(weight, np.float32)[eid],
                 etype=np.asarray(etype, np.uint8)[eid], t_first=t0[eid], t_last=t1[eid], eid=eid, edges=edges)


def compile_graph(nodes: pa.Table, edges: pa.Table) -> Graph:
    """Compile the (nodes, edges) tables of edges.build_edges into a Graph."""
    order = pc.sort_indices(nodes, sort_keys=[("key", "ascending")])
    nodes = nodes.take(order)
    keys = nodes.column("key").combine_chunks()
    src = pc.index_in(edges.column("src"), value_set=keys).to_numpy(zero_copy_only=False)
    dst = pc.index_in(edges.column("dst"), value_set=keys).to_numpy(zero_copy_only=False)
    kinds = np.array([NODE_KINDS.index(k) for k in nodes.column("kind").to_pylist()], np.uint8)
    etype = np.array([EDGE_TYPES.index(t) for t in edges.column("edge_type").to_pylist()], np.uint8)
    t0 = edges.column("t_first").fill_null(0).to_numpy()
    t1 = edges.column("t_last").fill_null(T_MAX).to_numpy()
    return from_arrays(keys=keys, labels=nodes.column("label").combine_chunks(), kind=kinds,
                       own=nodes.column("own").to_numpy(zero_copy_only=False), src=src, dst=dst, etype=etype,
                       weight=edges.column("weight").to_numpy(), t_first=t0, t_last=t1, edges=edges)
