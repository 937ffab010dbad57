"""Call-graph aggregates for line-level models: degree, known-fraud neighbours, 2-hop reach.

Fraud lines call each other's victims and share infrastructure, so a line's neighbourhood carries
signal its own counters miss. Labels enter only through ``known`` (the training lines): a line's
own label is never used for its own features (no self loops), and unlabelled lines contribute
nothing, so features for validation/test lines never see their labels.
"""

from __future__ import annotations

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


def neighbour_features(adj: sp.spmatrix, *, labels: np.ndarray, known: np.ndarray) -> pd.DataFrame:
    """Per node: degree, labelled neighbours, share of them that are fraud (1-hop and 2-hop), and the
    mean of the neighbours' fraud share (a smoothed, one-step label propagation)."""
    a = symmetric(adj)
    n = a.shape[0]
    known = np.asarray(known, dtype=bool)
    lab = np.where(known, np.asarray(labels, dtype=float), 0.0)
    kn = known.astype(float)
    deg = np.asarray(a.sum(axis=1)).ravel()
    nk, nf = a @ kn, a @ lab
    share = np.divide(nf, nk, out=np.full(n, np.nan), where=nk > 0)
    a2 = a @ a
    a2.setdiag(0)
    a2.eliminate_zeros()
    a2.data[:] = 1.0
    nk2, nf2 = a2 @ kn, a2 @ lab
    share2 = np.divide(nf2, nk2, out=np.full(n, np.nan), where=nk2 > 0)
    prior = lab[known].mean() if known.any() else 0.0
    filled = np.where(np.isnan(share), prior, share)
    smooth = np.divide(a @ filled, deg, out=np.full(n, np.nan), where=deg > 0)
    return pd.DataFrame({
        "g_degree": deg,
        "g_known_neighbours": nk,
        "g_fraud_neighbours": nf,
        "g_fraud_neighbour_share": share,
        "g_reach_2hop": np.asarray(a2.sum(axis=1)).ravel(),
        "g_fraud_share_2hop": share2,
        "g_neighbour_fraud_share_mean": smooth,
    })


NEIGHBOUR_DOCS = {
    "g_degree": {"zh": "通话图度数", "en": "distinct lines in the call graph linked to this line"},
    "g_known_neighbours": {"zh": "已标注邻居数", "en": "neighbours with a known (training) label"},
    "g_fraud_neighbours": {"zh": "已知涉诈邻居数", "en": "neighbours known as fraud"},
    "g_fraud_neighbour_share": {"zh": "已知涉诈邻居占比", "en": "share of labelled neighbours that are fraud"},
    "g_reach_2hop": {"zh": "二跳可达号码数", "en": "lines within two hops"},
    "g_fraud_share_2hop": {"zh": "二跳涉诈占比", "en": "share of labelled lines within two hops that are fraud"},
    "g_neighbour_fraud_share_mean": {"zh": "邻居的涉诈邻居占比均值", "en": "mean over neighbours of their fraud-neighbour share"},
}
