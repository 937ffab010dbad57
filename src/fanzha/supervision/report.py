"""督导报表: every panel the user may see, for one filter, in one XLSX workbook — a long job with progress.

``build_report`` is the work itself (the CLI drives it with a rich progress bar); ``report_job`` describes it
as a page job (:mod:`fanzha.jobs`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine

from fanzha.casework.auth.principal import Principal
from fanzha.config import Settings
from fanzha.supervision import dashboard
from fanzha.supervision.export import save_atomic, workbook
from fanzha.supervision.filters import KpiFilter
from fanzha.supervision.panels import Panel


def report_name(flt: KpiFilter) -> str:
    return f"督导报表_{flt.start:%Y%m%d}-{flt.end:%Y%m%d}{'_' + flt.county if flt.county else ''}.xlsx"


def build_report(engine: Engine, *, settings: Settings, actor: Principal, flt: KpiFilter, target: Path,
                 on_total: Callable[[int], None] | None = None,
                 on_panel: Callable[[Panel], None] | None = None) -> Path:  # fmt: skip
    """Compute each visible panel (one short session each) and write the workbook atomically to ``target``."""
    panels = dashboard.panels_for(actor)
    if on_total:
        on_total(len(panels) + 1)
    parts = []
    for panel in panels:
        parts.append((panel, dashboard.compute(engine, panel, actor=actor, flt=flt, settings=settings)))
        if on_panel:
            on_panel(panel)
    wb = workbook(parts, subtitle=f"筛选：{flt.describe()}")
    save_atomic(wb, target)
    return target


def report_job(engine: Engine, *, settings: Settings, actor: Principal, flt: KpiFilter):
    """(kind, title, params, work) of the report as a page job (see :mod:`fanzha.jobs.service`)."""
    from fanzha.jobs.service import Progress

    def work(progress: Progress) -> Path:
        target = settings.home / "reports" / f"job-{progress.job_id}-{report_name(flt)}"
        build_report(engine, settings=settings, actor=actor, flt=flt, target=target, on_total=progress.set_total,
                     on_panel=lambda p: progress.advance(1, f"已计算：{p.title}"))  # fmt: skip
        progress.advance(1, "已写入工作簿")
        return target

    return "kpi_report", f"督导报表（{flt.describe()}）", flt.query(), work
