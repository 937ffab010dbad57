"""Call-graph aggregates for line-level models: degree, known-fraud neighbours, 2-hop reach,
the shape of the neighbourhood, and how a line differs from the lines it talks to.

Fraud lines call each other's victims and share infrastructure, so a line's neighbourhood carries
signal its own counters miss. Labels enter only through ``known`` (the training lines), and a
line's own label never feeds its own features: there are no self loops, 2-hop sets leave the line
out, and where a neighbour's own fraud share is used, that share is recomputed without the line
(tested by flipping the line's label). Unlabelled lines contribute nothing, so features for
validation/test lines never see their labels.

Fraudsters imitate normal users ("camouflage"): their own counters can look ordinary while
differing from the lines they call. ``neighbour_differences`` gives each feature minus its mean
over the line's neighbours — the feature-difference signal graph-attention fraud detectors weight
their edges by (GDFGAT, PLOS One 2025), here as plain columns a tree model can split on.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp


def symmetric(adj: sp.spmatrix) -> sp.csr_matrix:
    """Undirected 0/1 adjacency without self loops (who called whom, either way)."""
    a = sp.csr_matrix(adj)
    a = ((a + a.T) > 0).astype(np.float64).tocsr()
    a.setdiag(0)
    a.eliminate_zeros()
    return a


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.full(len(num), np.nan), where=den > 0)


def _row_extreme(a: sp.csr_matrix, values: np.ndarray, reduce: np.ufunc) -> np.ndarray:
    """Per row of ``a``, ``reduce`` (np.maximum / np.minimum) of ``values`` over the row's columns;
    NaN for empty rows."""
    out = np.full(a.shape[0], np.nan)
    has = np.diff(a.indptr) > 0
    if has.any():
        out[has] = reduce.reduceat(values[a.indices], a.indptr[:-1][has])
    return out


def neighbour_features(adj: sp.spmatrix, *, labels: np.ndarray, known: np.ndarray) -> pd.DataFrame:
    """Per node: degree and the shape of its neighbourhood (neighbours' degrees, one-call-only
    neighbours, triangles, clustering), labelled neighbours and the share of them that are fraud
    (1-hop; 2-hop by distinct lines and by paths), and the mean over neighbours of *their* fraud
    share with this node left out (a smoothed, one-step label propagation)."""
    a = symmetric(adj)
    n = a.shape[0]
    known = np.asarray(known, dtype=bool)
    lab = np.where(known, np.asarray(labels, dtype=float), 0.0)
    kn = known.astype(float)
    deg = np.asarray(a.sum(axis=1)).ravel()
    nk, nf = a @ kn, a @ lab

    paths = (a @ a).tocsr()  # paths[i, j] = common neighbours of i and j
    triangles = np.asarray(paths.multiply(a).sum(axis=1)).ravel() / 2
    paths.setdiag(0)
    paths.eliminate_zeros()
    reach = paths.copy()
    reach.data[:] = 1.0
    nk2, nf2 = reach @ kn, reach @ lab
    pk2, pf2 = paths @ kn, paths @ lab

    # Each neighbour j's fraud share among its labelled neighbours, with this node i taken out.
    rows, cols = a.nonzero()
    num, den = nf[cols] - lab[rows], nk[cols] - kn[rows]
    has = den > 0
    share_wo = np.zeros(len(rows))
    share_wo[has] = num[has] / den[has]
    sums = np.bincount(rows, weights=share_wo, minlength=n)
    counted = np.bincount(rows, weights=has.astype(float), minlength=n)

    return pd.DataFrame({
        "g_degree": deg,
        "g_known_neighbours": nk,
        "g_fraud_neighbours": nf,
        "g_fraud_neighbour_share": _ratio(nf, nk),
        "g_reach_2hop": np.asarray(reach.sum(axis=1)).ravel(),
        "g_fraud_share_2hop": _ratio(nf2, nk2),
        "g_fraud_paths_2hop": pf2,
        "g_fraud_path_share_2hop": _ratio(pf2, pk2),
        "g_neighbour_fraud_share_mean": _ratio(sums, counted),
        "g_neighbour_degree_mean": _ratio(a @ deg, deg),
        "g_neighbour_degree_max": _row_extreme(a, deg, np.maximum),
        "g_neighbour_degree_min": _row_extreme(a, deg, np.minimum),
        "g_leaf_neighbours": a @ (deg == 1).astype(float),
        "g_triangles": triangles,
        "g_clustering": _ratio(2 * triangles, deg * (deg - 1)),
    })


DIFF_PREFIX = "gd_"


def neighbour_differences(adj: sp.spmatrix, features: pd.DataFrame) -> pd.DataFrame:
    """Per node and feature: the node's value minus the mean of that feature over its neighbours
    (neighbours without a value are skipped). NaN for a node without neighbours, or whose own value
    is missing. Columns are ``gd_<feature>``; no labels are involved."""
    a = symmetric(adj)
    v = features.to_numpy(dtype=float)
    present = ~np.isnan(v)
    total = a @ np.where(present, v, 0.0)
    count = a @ present.astype(float)
    mean = np.divide(total, count, out=np.full(v.shape, np.nan), where=count > 0)
    return pd.DataFrame(v - mean, columns=[DIFF_PREFIX + str(c) for c in features.columns], index=features.index)


NEIGHBOUR_DOCS = {
    "g_degree": {"zh": "通话图度数", "en": "distinct lines in the call graph linked to this line"},
    "g_known_neighbours": {"zh": "已标注邻居数", "en": "neighbours with a known (training) label"},
    "g_fraud_neighbours": {"zh": "已知涉诈邻居数", "en": "neighbours known as fraud"},
    "g_fraud_neighbour_share": {"zh": "已知涉诈邻居占比", "en": "share of labelled neighbours that are fraud"},
    "g_reach_2hop": {"zh": "二跳可达号码数", "en": "lines within two hops"},
    "g_fraud_share_2hop": {"zh": "二跳涉诈占比", "en": "share of labelled lines within two hops that are fraud"},
    "g_fraud_paths_2hop": {"zh": "通往已知涉诈号码的二跳路径数", "en": "two-hop paths that end at a line known as fraud"},
    "g_fraud_path_share_2hop": {"zh": "二跳路径涉诈占比", "en": "share of two-hop paths to labelled lines that end at fraud"},
    "g_neighbour_fraud_share_mean": {"zh": "邻居的涉诈邻居占比均值",
                                     "en": "mean over neighbours of their fraud-neighbour share (this line left out)"},
    "g_neighbour_degree_mean": {"zh": "邻居平均度数", "en": "mean degree of the neighbours"},
    "g_neighbour_degree_max": {"zh": "邻居最大度数", "en": "largest degree among the neighbours"},
    "g_neighbour_degree_min": {"zh": "邻居最小度数", "en": "smallest degree among the neighbours"},
    "g_leaf_neighbours": {"zh": "仅与本号码联系的邻居数", "en": "neighbours linked to no other line (one-contact lines)"},
    "g_triangles": {"zh": "三角形数", "en": "pairs of neighbours that are linked to each other"},
    "g_clustering": {"zh": "聚集系数", "en": "share of neighbour pairs that are linked to each other"},
}


def difference_docs(columns, base_docs: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, dict[str, str]]:
    """Model-card docs for ``neighbour_differences`` columns, built from the base features' docs."""
    base_docs = base_docs or {}
    out = {}
    for c in columns:
        base = base_docs.get(c, {})
        zh, en = base.get("zh") or c, base.get("en") or c
        out[DIFF_PREFIX + c] = {"zh": f"本号码与通话邻居均值之差：{zh}",
                                "en": f"{en}: this line minus the mean over its call-graph neighbours"}
    return out
