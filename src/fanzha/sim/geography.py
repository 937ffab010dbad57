"""Radio cells over the real counties: dense around county seats, clustered around township centres,
sparse in the countryside; campus cells at the colleges; a few cells in the cities our subscribers
travel to and in the border areas where resold cards end up (roaming records carry those cells)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from fanzha.sim.config import SimConfig
from fanzha.sim.rand import stream

URBAN, TOWN, RURAL, CAMPUS, CITY, BORDER = range(6)
KM_PER_DEG = 111.0


@dataclass
class Cells:
    cell_id: np.ndarray  # str
    lat: np.ndarray
    lon: np.ndarray
    region_code: np.ndarray  # str
    county: np.ndarray  # index into config counties; -1 outside the prefecture
    kind: np.ndarray
    remote: np.ndarray  # index into config remote areas; -1 inside
    tree: cKDTree

    def __len__(self) -> int:
        return len(self.cell_id)

    def of(self, county: int, kinds: tuple[int, ...]) -> np.ndarray:
        return np.flatnonzero((self.county == county) & np.isin(self.kind, kinds))

    def nearest(self, idx: np.ndarray, k: int) -> np.ndarray:
        """(n, k) nearest local cells to each cell in IDX (itself first)."""
        pts = np.c_[self.lat[idx], self.lon[idx] * np.cos(np.radians(self.lat[idx]))]
        _, nn = self.tree.query(pts, k=k)
        return self._local[nn]

    def distance_km(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        dlat = self.lat[a] - self.lat[b]
        dlon = (self.lon[a] - self.lon[b]) * np.cos(np.radians((self.lat[a] + self.lat[b]) / 2))
        return np.hypot(dlat, dlon) * KM_PER_DEG


def build_cells(*, cfg: SimConfig, lines: int, seed: int) -> Cells:
    rng = stream(seed, "cells")
    geo = cfg.geography
    total = max(80, int(round(geo.cells_per_10k_lines * lines / 1e4)))
    weights = np.array([c.weight for c in geo.counties], dtype=float)
    per_county = np.maximum(8, np.round(total * weights / weights.sum()).astype(int))
    lat, lon, county, kind, remote = [], [], [], [], []

    def add(la, lo, co, ki, re=-1):
        lat.append(np.atleast_1d(la))
        lon.append(np.atleast_1d(lo))
        n = len(np.atleast_1d(la))
        county.append(np.full(n, co))
        kind.append(np.full(n, ki))
        remote.append(np.full(n, re))

    for ci, c in enumerate(geo.counties):
        n = per_county[ci]
        n_urban = max(3, int(n * geo.urban_share))
        n_town = max(2, int(n * geo.town_share))
        n_rural = max(1, n - n_urban - n_town)
        # County seat: cells within a few km, denser towards the centre.
        r = np.abs(rng.normal(0, 0.022, n_urban))
        a = rng.uniform(0, 2 * np.pi, n_urban)
        add(c.lat + r * np.sin(a), c.lon + r * np.cos(a) / np.cos(np.radians(c.lat)), ci, URBAN)
        # Township centres 6–25 km out, a few cells around each.
        tr = rng.uniform(0.06, 0.23, c.towns)
        ta = rng.uniform(0, 2 * np.pi, c.towns)
        which = rng.integers(0, c.towns, n_town)
        r = np.abs(rng.normal(0, 0.008, n_town))
        a = rng.uniform(0, 2 * np.pi, n_town)
        add(c.lat + tr[which] * np.sin(ta[which]) + r * np.sin(a),
            c.lon + (tr[which] * np.cos(ta[which]) + r * np.cos(a)) / np.cos(np.radians(c.lat)), ci, TOWN)
        # Countryside: spread over the county.
        r = 0.25 * np.sqrt(rng.random(n_rural))
        a = rng.uniform(0, 2 * np.pi, n_rural)
        add(c.lat + r * np.sin(a), c.lon + r * np.cos(a) / np.cos(np.radians(c.lat)), ci, RURAL)
        for col in c.colleges:
            k = col.cells
            add(col.lat + rng.normal(0, 0.003, k), col.lon + rng.normal(0, 0.003, k), ci, CAMPUS)
    for ri, r in enumerate(geo.remote):
        k = 4 if r.kind == "city" else 3
        add(r.lat + rng.normal(0, 0.02, k), r.lon + rng.normal(0, 0.02, k), -1,
            CITY if r.kind == "city" else BORDER, ri)

    lat_a, lon_a = np.concatenate(lat), np.concatenate(lon)
    county_a, kind_a, remote_a = np.concatenate(county), np.concatenate(kind), np.concatenate(remote)
    codes = np.array([c.code for c in geo.counties] + [r.code for r in geo.remote])
    region = np.where(county_a >= 0, codes[np.maximum(county_a, 0)], codes[len(geo.counties) + np.maximum(remote_a, 0)])
    n = len(lat_a)
    enb = rng.choice(np.arange(100000, 999999), size=n, replace=False)
    sector = rng.integers(1, 4, n)
    cell_id = np.char.add(np.char.add("460-11-", enb.astype(str)), np.char.add("-", sector.astype(str)))
    local = np.flatnonzero(county_a >= 0)
    tree = cKDTree(np.c_[lat_a[local], lon_a[local] * np.cos(np.radians(lat_a[local]))])
    cells = Cells(cell_id, np.round(lat_a, 6), np.round(lon_a, 6), region, county_a, kind_a, remote_a, tree)
    cells._local = local
    return cells
