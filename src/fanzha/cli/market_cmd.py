"""fanzha market …: market-regulation desk — bulk import of tips, statistics export."""

from __future__ import annotations

from pathlib import Path

import typer

from fanzha.cli import app

market_app = typer.Typer(help="市场监管 Market-regulation desk: import tips, export statistics.", no_args_is_help=True)
app.add_typer(market_app, name="market")


@market_app.command("import-tips")
def import_tips_cmd(
    path: Path = typer.Argument(..., exists=True, help="tips file (.csv in UTF-8 or GB18030/GBK, .xlsx, .parquet; contract columns) or a folder of them"),
) -> None:
    """导入市场监管线索 — import tips; numbers named in tips are linked to lines, own lines raise alerts
    (idempotent by tip_id; bad rows go to a quarantine file with the reason)."""
    import getpass

    from fanzha.casework.auth.principal import Principal
    from fanzha.casework.bulk_intake import run_with_progress
    from fanzha.casework.market.importer import import_tips
    from fanzha.config import get_settings
    from fanzha.migrate import upgrade

    settings = get_settings()
    upgrade(settings.db_url)
    run_with_progress(import_tips, path=path, label="导入线索 importing tips", settings=settings,
                      actor=Principal.system(f"cli:{getpass.getuser()}:tips-import"))  # fmt: skip


@market_app.command("stats")
def stats_cmd(
    out: Path = typer.Option(None, "--out", help="write .csv or .xlsx here instead of printing"),
    since: str = typer.Option(None, help="first day YYYY-MM-DD (China Standard Time)"),
    until: str = typer.Option(None, help="last day YYYY-MM-DD, inclusive"),
) -> None:
    """线索统计 — tips by category, channel, month and status (the figures of the /market/stats page)."""
    import json
    from datetime import date, datetime, time, timedelta

    from fanzha.casework.market import export
    from fanzha.casework.market.stats import tip_stats
    from fanzha.db import get_engine, session_scope

    lo = datetime.combine(date.fromisoformat(since), time()) if since else None
    hi = datetime.combine(date.fromisoformat(until) + timedelta(days=1), time()) if until else None
    with session_scope(get_engine()) as db:
        stats = tip_stats(db, lo, hi)
    if out is None:
        typer.echo(json.dumps(stats, ensure_ascii=False, indent=1))
    elif out.suffix.lower() == ".xlsx":
        out.write_bytes(export.to_xlsx(stats))
    else:
        out.write_bytes(export.to_csv(stats))
