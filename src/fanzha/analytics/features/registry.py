"""The documented feature registry: every feature column, its meaning (中文 / English), entity and family.

Per-line features are computed for each requested window and named ``<name>_<window>`` (e.g.
``calls_out_24h``); other entities (cell-hour, IMEI, pair) are computed over one window.
``fill`` is the value for an entity with no activity in that window (0 for counts, None for
ratios and statistics, which are undefined then).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ENTITIES = ("line", "cell_hour", "imei", "pair")


@dataclass(frozen=True)
class Feature:
    name: str
    family: str  # calling | sms | mobility | device | cell | imei | pair
    entity: str  # line | cell_hour | imei | pair
    zh: str
    en: str
    fill: float | None = None
    dtype: str = "float"  # int | float | str — the column's type on every engine


REGISTRY: dict[str, Feature] = {}


def feature(
    name: str, family: str, entity: str, zh: str, en: str, fill: float | None = None, dtype: str | None = None
) -> Feature:
    if name in REGISTRY:
        raise ValueError(f"feature {name!r} registered twice")
    f = Feature(name, family, entity, zh, en, fill, dtype or ("int" if fill == 0 else "float"))
    REGISTRY[name] = f
    return f


def features(*, entity: str | None = None, family: str | None = None) -> list[Feature]:
    return [f for f in REGISTRY.values() if (entity is None or f.entity == entity) and (family is None or f.family == family)]


_WINDOW_RE = re.compile(r"^(\d+)([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def window_seconds(window: str | int) -> int:
    """``'1h'``, ``'24h'``, ``'7d'``, ``'31d'`` (or seconds as int) → seconds."""
    if isinstance(window, int):
        return window
    m = _WINDOW_RE.match(window.strip())
    if not m:
        raise ValueError(f"window {window!r}: use a number and a unit s/m/h/d/w, e.g. '24h' or '7d'")
    return int(m.group(1)) * _UNIT_S[m.group(2)]


def describe(*, entity: str | None = None) -> list[dict]:
    """The registry as rows (for docs, the CLI and detectors' explanations)."""
    return [
        {"name": f.name, "family": f.family, "entity": f.entity, "dtype": f.dtype, "zh": f.zh, "en": f.en}
        for f in features(entity=entity)
    ]
