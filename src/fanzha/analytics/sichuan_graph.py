"""Adapter for the Sichuan 2020 fraud-caller data as preprocessed by the GAT-COBO authors.

Reads ``../shared/external-data/sichuan-graph-gatcobo`` (never copied into the repository):
``all_feat_with_label.csv`` (hashed phone id, 55 behaviour features, label 1 = fraud) and
``node_adj_sparse.npz`` (call graph between the same rows; stored one way, upper triangle). The
authors' split is by file order: first 60 % train, next 20 % validation, last 20 % test (the
masks their ``data_process.py`` stores; their ``main.py`` draws a stratified random split instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

FEATURES_FILE, GRAPH_FILE = "all_feat_with_label.csv", "node_adj_sparse.npz"


@dataclass
class SichuanGraph:
    features: pd.DataFrame  # 55 numeric columns, row i = graph node i
    labels: np.ndarray
    adjacency: sp.csr_matrix
    train: np.ndarray  # boolean masks
    valid: np.ndarray
    test: np.ndarray


def load(folder: Path) -> SichuanGraph:
    folder = Path(folder)
    raw = pd.read_csv(folder / FEATURES_FILE)
    if raw.columns[-1] != "label":
        raise ValueError(f"{folder / FEATURES_FILE}: last column must be 'label'")
    feats = raw.iloc[:, 1:-1].astype(float)
    labels = raw["label"].to_numpy().astype(int)
    adj = sp.load_npz(folder / GRAPH_FILE).tocsr()
    n = len(raw)
    if adj.shape != (n, n):
        raise ValueError(f"adjacency {adj.shape} does not match {n} feature rows")
    idx = np.arange(n)
    cut1, cut2 = int(0.6 * n), int(0.8 * n)
    return SichuanGraph(feats, labels, adj, idx < cut1, (idx >= cut1) & (idx < cut2), idx >= cut2)
