"""fanzha train | detect | evaluate — the detection contract (../shared/spec/data-contract.md)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from fanzha.cli import app


@app.command()
def evaluate(
    alerts: Path = typer.Option(..., "--alerts", exists=True, dir_okay=False, help="alerts.csv written by `fanzha detect`"),
    labels: Path = typer.Option(..., "--labels", exists=True, dir_okay=False, help="labels.csv: msisdn,label,since[,ring_id]"),
    out: Path = typer.Option(None, "--out", help="folder for evaluation.json (default: next to alerts.csv)"),
) -> None:
    """评估 Score alerts against labels: per detector precision, recall, F1, median detection delay."""
    from fanzha.analytics.detectors.output import read_alerts
    from fanzha.analytics.evaluate import evaluate as run_eval
    from fanzha.analytics.evaluate import metrics_table, read_labels

    results = run_eval(read_alerts(alerts), read_labels(labels))
    console = Console()
    console.width = max(console.width, 130)  # keep the table whole in narrow terminals and logs
    console.print(metrics_table(results))
    folder = out or alerts.parent
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "evaluation.json"
    target.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    typer.echo(f"written {target}")
