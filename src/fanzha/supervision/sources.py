"""Panels fed by other domains: police clues and feedback, public reports and tips, monitoring lag.

Each is one provider that calls the owning domain's statistics function and shapes it as a panel.
"""

from __future__ import annotations
