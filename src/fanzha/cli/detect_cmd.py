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


@app.command()
def train(
    subscribers: Path = typer.Option(..., "--subscribers", exists=True, help="subscribers file (CSV/Parquet)"),
    cells: Path = typer.Option(..., "--cells", exists=True, help="cells file (CSV/Parquet)"),
    cdr: Path = typer.Option(..., "--cdr", exists=True, help="voice CDR file or folder of files"),
    labels: Path = typer.Option(..., "--labels", exists=True, dir_okay=False,
                                help="labels.csv: msisdn,label,since[,outcome] (outcome false_positive = verified normal)"),
    out: Path = typer.Option(..., "--out", help="model directory to write (MODELDIR)"),
    sms: Path = typer.Option(None, "--sms", exists=True, help="SMS file or folder (optional)"),
    seed: int = typer.Option(0, help="random seed of the training run"),
    min_precision: float = typer.Option(
        0.95, help="estimated line precision the threshold must reach (unlabelled fraud not counted as false)"),
    alert_budget: float = typer.Option(None, help="at most this many alerts per 10,000 lines per day (default 200; 0 = no budget)"),
) -> None:
    """训练模型 Train the fraud-caller model on labelled history; writes MODELDIR with a model card."""
    from fanzha.analytics.pipeline import run_train

    with Console().status("训练中 training…"):
        manifest = run_train(cdr=cdr, sms=sms, subscribers=subscribers, cells=cells, labels=labels, out=out, seed=seed,
                             min_precision=min_precision, alert_budget=alert_budget)
    m = manifest["models"]["fraud_caller"].get("validation_lines", {})
    pu = manifest["pu"]["fraud_caller"]
    typer.echo(f"model written to {out} (held-out lines: precision {pu['precision_corrected']:.3f} PU-corrected, "
               f"{m.get('precision', 0):.3f} against the labels as given; recall {m.get('recall', 0):.3f}, AUC {m.get('auc', 0):.3f}; "
               f"estimated unlabelled fraud {pu['unlabelled_fraud_share']:.1%}, ~{pu['hidden_fraud_lines_estimated']:g} lines; "
               f"{pu['alerts_per_10k_day']:g} alerts per 10,000 lines per day); see {out / 'fraud_caller' / 'MODEL_CARD.md'}")


@app.command()
def detect(
    subscribers: Path = typer.Option(..., "--subscribers", exists=True, help="subscribers file (CSV/Parquet)"),
    cells: Path = typer.Option(..., "--cells", exists=True, help="cells file (CSV/Parquet)"),
    cdr: Path = typer.Option(..., "--cdr", exists=True, help="voice CDR file or folder of files"),
    out: Path = typer.Option(..., "--out", help="folder for alerts.csv, scores.csv, summary.json, quarantine/"),
    sms: Path = typer.Option(None, "--sms", exists=True, help="SMS file or folder (optional)"),
    model: Path = typer.Option(None, "--model", help="MODELDIR from `fanzha train` (default: shipped model or rules)"),
    detectors: str = typer.Option(None, help="comma-separated subset, e.g. simbox,cell_anomaly (default: all)"),
    step_hours: int = typer.Option(1, help="hours between fraud_caller checkpoints (default: every clock hour, as the live monitor; larger: later alerts)"),
) -> None:
    """检测 Run the detectors on call records; write alerts, per-line scores and a run summary."""
    from rich.progress import Progress

    from fanzha.analytics.pipeline import run_detect

    names = [d.strip() for d in detectors.split(",")] if detectors else None
    with Progress(transient=True) as bar:
        task = bar.add_task("检测 detecting", total=len(names) if names else 4)
        summary = run_detect(cdr=cdr, sms=sms, subscribers=subscribers, cells=cells, model_dir=model, out=out,
                             detectors=names, step_s=step_hours * 3600, progress=lambda name: bar.advance(task))
    console = Console()
    console.print(f"{summary['alerts']} alerts {summary['alerts_by_detector']}, "
                  f"{summary['subscribers_scored']} lines scored, {summary['rows_quarantined']} rows quarantined, "
                  f"{summary['seconds']:.1f} s ({summary['models']}) → {out}")
