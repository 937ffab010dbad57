"""Detectors: each module holds one detector and registers it (see :mod:`.base` for the interface).

Importing this package imports every detector module, so ``base.registered()`` lists them all.
"""

from fanzha.analytics.detectors.base import REGISTRY, Alert, Detector, Reason, register, registered

# Registration happens on import; the order is the order of `fanzha detect`'s output.
from fanzha.analytics.detectors import cell_anomaly, fraud_caller, resold_card, simbox  # noqa: E402,F401

__all__ = ["REGISTRY", "Alert", "Detector", "Reason", "register", "registered"]
