"""fanzha kpi: the supervision dashboard's panels on the command line, and the 督导报表 workbook."""

from __future__ import annotations

from pathlib import Path

import typer

from fanzha.cli import app

kpi_app = typer.Typer(help="督导指标 supervision KPIs: print the dashboard panels or write the XLSX report.",
                      no_args_is_help=True)  # fmt: skip
app.add_typer(kpi_app, name="kpi")

START = typer.Option(None, "--start", help="first day, YYYY-MM-DD (China Standard Time; default: the last 14 days)")
END = typer.Option(None, "--end", help="last day, YYYY-MM-DD (default: today)")
COUNTY = typer.Option(None, "--county", help="county code, e.g. 421202 (default: the whole prefecture)")


def _setup(start, end, county):
    from fanzha.casework.auth.enums import Role
    from fanzha.casework.auth.principal import Principal
    from fanzha.config import get_settings
    from fanzha.db import engine_for
    from fanzha.supervision.filters import FilterError, make_filter

    try:
        flt = make_filter(start, end, county)
    except FilterError as exc:
        raise typer.BadParameter(str(exc)) from None
    settings = get_settings()
    # The operator at the server console sees what a supervisor sees (aggregates only, no personal data).
    actor = Principal(user_id=None, username="cli", roles=frozenset({Role.SUPERVISOR}), via="cli")
    return settings, engine_for(settings.db_url), actor, flt


@kpi_app.command("show")
def show(start: str = START, end: str = END, county: str = COUNTY,
         panel: list[str] = typer.Option(None, "--panel", help="only these panels (repeatable), e.g. shut_lines")) -> None:  # fmt: skip
    """打印看板 Print each panel's headline figures and table."""
    from rich.console import Console
    from rich.table import Table

    from fanzha.supervision import dashboard

    settings, engine, actor, flt = _setup(start, end, county)
    console = Console()
    console.width = max(console.width, 130)  # keep tables whole in narrow terminals and logs
    console.rule(f"督导看板 {flt.describe()}")
    for p in dashboard.panels_for(actor):
        if panel and p.key not in panel:
            continue
        data = dashboard.compute(engine, p, actor=actor, flt=flt, settings=settings)
        if data.is_empty:
            console.print(f"[bold]{p.title}[/bold] ({p.key}): 暂无数据 — {data.empty_reason}")
            continue
        console.print(f"[bold]{p.title}[/bold] ({p.key})  " + " · ".join(f"{f.label} {f.text}" for f in data.figures))
        table = Table()
        for _, label in data.columns:
            table.add_column(label)
        for row in data.rows:
            table.add_row(*["" if row.get(k) is None else str(row.get(k)) for k, _ in data.columns])
        console.print(table)


@kpi_app.command("report")
def report(out: Path = typer.Option(..., "--out", help="the .xlsx file to write (replaced atomically)"),
           start: str = START, end: str = END, county: str = COUNTY) -> None:  # fmt: skip
    """生成督导报表 Write every panel to one XLSX workbook, with a progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from fanzha.supervision.report import build_report

    settings, engine, actor, flt = _setup(start, end, county)
    if out.suffix.lower() != ".xlsx":
        raise typer.BadParameter("--out must end in .xlsx")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as bar:
        task = bar.add_task("督导报表", total=None)
        build_report(engine, settings=settings, actor=actor, flt=flt, target=out,
                     on_total=lambda n: bar.update(task, total=n),
                     on_panel=lambda p: bar.update(task, advance=1, description=p.title))  # fmt: skip
        bar.update(task, advance=1, description="写入工作簿")
    typer.echo(f"wrote {out}")
