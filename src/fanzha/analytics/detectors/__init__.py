"""Detectors: each module holds one detector and registers it (see :mod:`.base` for the interface).

Importing this package imports every detector module, so ``base.registered()`` lists them all.
"""

from fanzha.analytics.detectors.base import REGISTRY, Alert, Detector, Reason, register, registered


__all__ = ["REGISTRY", "Alert", "Detector", "Reason", "register", "registered"]
