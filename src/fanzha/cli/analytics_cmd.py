"""fanzha ingest / features: call records into the Parquet store, behaviour features out of it."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from fanzha.cli import app


@app.command()
def ingest(
    cdr: Path = typer.Option(None, help="voice CDR file (CSV/Parquet) or folder of such files"),
    sms: Path = typer.Option(None, help="SMS record file or folder"),
    store: Path = typer.Option(..., help="Parquet store folder (created if missing; partitioned by day)"),
) -> None:
    """导入话单 — validate call records and add them to the Parquet store (bad rows → quarantine)."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from fanzha.analytics.ingest import ingest as run_ingest

    if cdr is None and sms is None:
        raise typer.BadParameter("give --cdr and/or --sms")
    with Progress(transient=True) as bar:
        task = bar.add_task("ingest", total=None)

        def progress(label: str, done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=total)

        summary = run_ingest(store=store, cdr=cdr, sms=sms, progress=progress)
    table = Table(title=f"导入结果 ingest run {summary.run_id} ({summary.seconds:.1f} s)")
    for col in ("kind", "files read", "files skipped", "rows read", "stored", "duplicates", "quarantined"):
        table.add_column(col, justify="right" if col != "kind" else "left")
    for name, ks in summary.kinds.items():
        table.add_row(name, str(ks.files_read), str(ks.files_skipped), str(ks.rows_read), str(ks.rows_stored),
                      str(ks.duplicates), str(ks.rows_quarantined))
    console = Console()
    console.print(table)
    for name, ks in summary.kinds.items():
        for reason, n in ks.quarantined.items():
            console.print(f"隔离 quarantined {name} {reason}={n}")
    for f in summary.quarantine_files:
        console.print(f"quarantine: {f}")
    for name, ks in summary.kinds.items():
        for err in ks.file_errors:
            console.print(f"[red]unreadable {name} file[/red]: {err}")


@app.command()
def features(
    store: Path = typer.Option(None, help="Parquet store written by `fanzha ingest` (required unless --describe)"),
    as_of: str = typer.Option(None, help="end of the windows, ISO 8601 (no offset = +08:00)"),
    out: Path = typer.Option(None, help="output file (.parquet or .csv)"),
    windows: str = typer.Option("1h,24h,7d", help="comma-separated windows, e.g. 1h,24h,7d"),
    entity: str = typer.Option("line", help="line | cell_hour | imei | pair"),
    subscribers: Path = typer.Option(None, help="subscribers contract file (for home region vs ID region)"),
    cells: Path = typer.Option(None, help="cells contract file (positions and regions of cells)"),
    engine: str = typer.Option("duckdb", help="duckdb (embedded) or spark (FANZHA_SPARK_MASTER)"),
    describe_only: bool = typer.Option(False, "--describe", help="print the feature registry and exit"),
) -> None:
    """行为特征 — compute behaviour features for lines, cell-hours, IMEIs or pairs."""
    from fanzha.analytics import features as F
    from fanzha.analytics.engines import get_engine
    from fanzha.analytics.inputs import register_inputs

    if describe_only:
        typer.echo(json.dumps(F.describe(entity=entity), ensure_ascii=False, indent=1))
        return
    if store is None or as_of is None or out is None:
        raise typer.BadParameter("--store, --as-of and --out are required (or use --describe)")
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    compute = {"line": lambda e, w: F.compute_line_features(e, as_of=as_of, windows=w),
               "cell_hour": lambda e, w: F.compute_cell_hour_features(e, as_of=as_of, window=w[-1]),
               "imei": lambda e, w: F.compute_imei_features(e, as_of=as_of, window=w[-1]),
               "pair": lambda e, w: F.compute_pair_features(e, as_of=as_of, window=w[-1])}.get(entity)  # fmt: skip
    if compute is None:
        raise typer.BadParameter("entity: line | cell_hour | imei | pair")
    wins = tuple(w.strip() for w in windows.split(",") if w.strip())
    # One engine query per family: a spinner with the elapsed time (no meaningful fraction to show).
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True) as bar:
        bar.add_task(f"计算特征 {entity} features on {engine} …", total=None)
        eng = get_engine(engine)
        register_inputs(eng, store=store, subscribers=subscribers, cells=cells)
        df = compute(eng, wins)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        df.to_parquet(out, index=False)
    else:
        df.to_csv(out, index=False)
    typer.echo(f"{len(df)} rows × {len(df.columns)} columns → {out} ({eng.version()})")
