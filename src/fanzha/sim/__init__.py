"""Synthetic province generator: a realistic telecom network with fraud scenarios and ground truth.

    from fanzha.sim import simulate
    simulate(lines=20000, days=7, seed=1, out=Path("province"))

writes the data-contract input files plus `labels.csv` (see ../shared/spec/data-contract.md).
"""

from fanzha.sim.config import SimConfig
from fanzha.sim.generate import DEFAULT_START, simulate

__all__ = ["DEFAULT_START", "SimConfig", "simulate"]
