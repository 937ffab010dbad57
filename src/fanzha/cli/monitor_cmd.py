"""fanzha monitor (实时监测) and fanzha warnings (受害人预警): the 24×7 monitoring service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from fanzha.cli import app

warnings_app = typer.Typer(help="受害人预警 Victim early warnings: opt-outs, counts.", no_args_is_help=True)
app.add_typer(warnings_app, name="warnings")


@app.command()
def monitor(
    drop: Path = typer.Option(None, "--drop", help="drop folder to watch (default FANZHA_MONITOR_DROP)"),
    subscribers: Path = typer.Option(None, "--subscribers", exists=True, dir_okay=False,
                                     help="contract subscribers file (line facts for the model)"),
    cells: Path = typer.Option(None, "--cells", exists=True, dir_okay=False,
                               help="contract cells file (positions and regions, for resold_card)"),
    model: Path = typer.Option(None, "--model", help="MODELDIR from `fanzha train` (default: shipped model)"),
    once: bool = typer.Option(False, "--once", help="one cycle over what is in the drop folder, then exit"),
    host: str = typer.Option("127.0.0.1", help="address of /metrics and /health"),
    port: int = typer.Option(0, help="serve /metrics and /health on this port (0: none)"),
    migrate: bool = typer.Option(True, help="apply database migrations first"),
    spark: bool = typer.Option(False, "--spark", help="run as a Spark Structured Streaming job (FANZHA_SPARK_MASTER)"),
    trigger_seconds: float = typer.Option(2.0, help="with --spark: micro-batch interval"),
) -> None:
    """实时监测 Watch a drop folder for CDR/SMS files (CSV or Parquet), ingest them with the same validation
    and quarantine as `fanzha ingest`, keep hourly windows, run the detectors and raise alerts into casework
    (auto-suspension above FANZHA_AUTO_SUSPEND_SCORE). Logs are JSON lines on stderr. Stop with Ctrl-C."""
    from fanzha.config import get_settings
    from fanzha.monitor.logs import json_logging
    from fanzha.monitor.service import Monitor, install_signal_handlers

    settings = get_settings()
    updates = {k: v for k, v in (("monitor_subscribers", subscribers), ("monitor_cells", cells),
                                 ("monitor_model_dir", model)) if v is not None}
    if updates:
        settings = settings.model_copy(update=updates)
    drop = drop or settings.monitor_drop
    if drop is None:
        raise typer.BadParameter("give --drop DIR or set FANZHA_MONITOR_DROP", param_hint="--drop")
    if migrate:
        from fanzha.migrate import upgrade

        upgrade(settings.db_url)
    json_logging(settings.log_level)
    if spark:
        from fanzha.monitor.spark_job import run

        run(drop=drop, settings=settings, trigger_s=trigger_seconds, available_now=once)
        return
    mon = Monitor(drop_dir=drop, settings=settings)
    try:
        if once:
            res = mon.run_once()
            typer.echo(f"files {res.files}, rows {res.rows}, rejected {res.rejected}, alerts {res.alerts}, "
                       f"warnings {res.warnings}")
            return
        if port:
            from fanzha.monitor.http import serve_metrics

            serve_metrics(mon, host, port)
        install_signal_handlers(mon)
        mon.run_forever()
    finally:
        mon.close()


@warnings_app.command("optout")
def optout(msisdn: str = typer.Argument(..., help="subscriber who asked not to be warned"),
           via: str = typer.Option("counter", help="how they asked: sms | counter | hotline")) -> None:
    """Stop fraud warnings to a subscriber (pending ones are withdrawn)."""
    from fanzha.casework.monitor.warnings import opt_out
    from fanzha.db import get_engine, session_scope

    with session_scope(get_engine()) as db:
        new = opt_out(db, msisdn=msisdn, via=via)
    typer.echo("opted out" if new else "already opted out")


@warnings_app.command("stats")
def stats(hours: float = typer.Option(24.0, help="look back this many hours")) -> None:
    """People warned and the monitor's lag over the last HOURS."""
    from fanzha.casework.monitor.service import lag_stats
    from fanzha.casework.monitor.warnings import people_warned
    from fanzha.db import get_engine, session_scope

    until = datetime.now(UTC) + timedelta(seconds=1)
    since = until - timedelta(hours=hours)
    with session_scope(get_engine()) as db:
        typer.echo(f"people warned: {people_warned(db, since, until)}")
        for k, v in lag_stats(db, since, until).items():
            typer.echo(f"{k}: {v if v is None or isinstance(v, int) else round(v, 3)}")
