"""The dashboard's panel registry. A panel is one small provider function plus what it needs to be shown.

A provider takes a :class:`PanelContext` (session, filter, actor, settings, now) and returns
:class:`PanelData`: headline figures, one table (exported as CSV/XLSX) and an optional chart spec (drawn as
SVG by :mod:`fanzha.supervision.charts`). A source with nothing to show returns ``PanelData.empty(reason)`` and
the page says 暂无数据 with that reason — never a made-up zero chart.

Other domains add their panels at import time of their module::

    from fanzha.supervision.panels import Panel, register
    register(Panel("clues", "线索与公安反馈", (Permission.POLICE_DESK, Permission.KPI_VIEW), clue_panel, 50))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.config import Settings
from fanzha.supervision.filters import KpiFilter


@dataclass(frozen=True)
class PanelContext:
    db: Session
    flt: KpiFilter
    actor: Principal
    settings: Settings
    now: datetime


@dataclass(frozen=True)
class Figure:
    """A headline number. ``key`` is stable (tests and the API read it); ``value`` is what is shown."""

    key: str
    label: str
    value: int | float | str | None
    unit: str = ""
    detail: str = ""  # what a rate is made of, e.g. "1/2" (numerator/denominator), shown under the value

    @property
    def text(self) -> str:
        """The value in words, with what it is made of: "50.0%（1/2）"."""
        return self._value_text() + (f"（{self.detail}）" if self.detail else "")

    def _value_text(self) -> str:
        v = self.value
        if v is None:
            return "—"
        if isinstance(v, float):
            return f"{v:.1%}" if self.unit == "%" else f"{v:,.1f}{self.unit}"
        if isinstance(v, int):
            return f"{v:,}{self.unit}"
        return f"{v}{self.unit}"


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]


@dataclass(frozen=True)
class Chart:
    """``kind``: "stacked" (columns stacked per category), "grouped" (side by side), "hbar" (horizontal,
    stacked) or "hgrouped" (horizontal, side by side). ``categories`` label the x axis (rows for horizontal
    kinds); each series has one value per category."""

    kind: str
    categories: list[str]
    series: list[Series]
    unit: str = ""
    title: str = ""

    @property
    def total(self) -> float:
        return sum(sum(s.values) for s in self.series)


@dataclass
class PanelData:
    columns: list[tuple[str, str]] = field(default_factory=list)  # (key, 中文 header)
    rows: list[dict] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    chart: Chart | None = None
    note: str = ""  # how the numbers are defined (shown under the panel)
    empty_reason: str | None = None  # set: the source has no data; the page shows 暂无数据 and this reason

    @classmethod
    def empty(cls, reason: str) -> PanelData:
        return cls(empty_reason=reason)

    @property
    def is_empty(self) -> bool:
        return self.empty_reason is not None


Provider = Callable[[PanelContext], PanelData]


@dataclass(frozen=True)
class Panel:
    """``permission``: one permission or a tuple of them; holding any one shows the panel (e.g. police figures
    for the police liaison's desk and for the supervisor's KPIs)."""

    key: str
    title: str
    permission: Permission | tuple[Permission, ...]
    provider: Provider
    order: int = 100
    description: str = ""

    @property
    def permissions(self) -> tuple[Permission, ...]:
        return self.permission if isinstance(self.permission, tuple) else (self.permission,)

    def allows(self, principal: Principal | None) -> bool:
        return principal is not None and any(principal.can(p) for p in self.permissions)

    def compute(self, ctx: PanelContext) -> PanelData:
        data = self.provider(ctx)
        if not data.is_empty and not data.rows and not data.figures:
            return PanelData.empty("所选时间和区县内没有记录 no records in the selected range")
        return data


_PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> Panel:
    if not panel.key.replace("_", "").isalnum():
        raise ValueError(f"panel key must be word characters: {panel.key!r}")
    _PANELS[panel.key] = panel
    return panel


def _load() -> None:
    # The built-in providers register on import; imported lazily so this module has no heavy imports.
    import fanzha.supervision.providers  # noqa: F401


def all_panels() -> list[Panel]:
    _load()
    return sorted(_PANELS.values(), key=lambda p: (p.order, p.key))


def visible(principal: Principal | None) -> list[Panel]:
    """The panels this user's permissions allow, in page order."""
    if principal is None:
        return []
    return [p for p in all_panels() if p.allows(principal)]


def get(key: str) -> Panel | None:
    _load()
    return _PANELS.get(key)
