"""What the dashboard page and the CLI share: which panels a user gets and computing them under a filter."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from fanzha.casework.auth.principal import Principal
from fanzha.casework.context import utcnow
from fanzha.config import Settings
from fanzha.db import session_scope
from fanzha.supervision import charts, panels
from fanzha.supervision.filters import KpiFilter
from fanzha.supervision.panels import Panel, PanelContext, PanelData


def panels_for(actor: Principal) -> list[Panel]:
    return panels.visible(actor)


def compute_in(db: Session, panel: Panel, *, actor: Principal, flt: KpiFilter, settings: Settings) -> PanelData:
    return panel.compute(PanelContext(db=db, flt=flt, actor=actor, settings=settings, now=utcnow()))


def compute(engine: Engine, panel: Panel, *, actor: Principal, flt: KpiFilter, settings: Settings) -> PanelData:
    with session_scope(engine) as db:
        return compute_in(db, panel, actor=actor, flt=flt, settings=settings)


@dataclass
class ShownPanel:
    panel: Panel
    data: PanelData
    svg: str | None


def show(db: Session, *, actor: Principal, flt: KpiFilter, settings: Settings) -> list[ShownPanel]:
    out = []
    for panel in panels_for(actor):
        data = compute_in(db, panel, actor=actor, flt=flt, settings=settings)
        svg = charts.render(data.chart) if data.chart is not None and not data.is_empty else None
        out.append(ShownPanel(panel, data, svg))
    return out
