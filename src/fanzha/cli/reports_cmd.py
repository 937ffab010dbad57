"""fanzha reports …: public reports (12321) — text classification by fraud type."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from fanzha.cli import app

reports_app = typer.Typer(help="举报 Public reports (12321): import, classify report texts by fraud type.", no_args_is_help=True)
app.add_typer(reports_app, name="reports")


@reports_app.command("train-classifier")
def train_classifier(
    data: Path = typer.Option(..., "--data", exists=True, file_okay=False, help="folder of CSV files with content,label"),
    out: Path = typer.Option(..., "--out", help="model folder to write (model.joblib, meta.json, metrics.json)"),
    test_size: float = typer.Option(0.2, help="held-out share used for the stored metrics"),
    seed: int = typer.Option(42, help="random seed of the stratified split"),
) -> None:
    """训练举报分类模型 — train the report classifier on a labelled folder and save it with its metrics."""
    from rich.console import Console

    from fanzha.analytics.reports_text.dataset import load_folder
    from fanzha.analytics.reports_text.model import train

    console = Console()
    with console.status("training (tf-idf + linear SVM) …"):
        df = load_folder(data)
        model = train(df, test_size=test_size, seed=seed, source=str(data))
        model.save(out)
    m = model.metrics
    console.print(f"{len(df)} texts, {len(model.classes)} classes → {out}")
    console.print(f"held-out accuracy {m['accuracy']:.4f}  macro-F1 {m['macro_f1']:.4f}")


@reports_app.command("classify")
def classify(
    texts: list[str] = typer.Argument(None, help="report texts to classify"),
    file: Path = typer.Option(None, "--file", exists=True, help="CSV with a `content` column (e.g. a reports file)"),
    model: Path = typer.Option(None, "--model", help="trained model folder; default FANZHA_REPORT_MODEL_DIR, else keyword rules"),
    out: Path = typer.Option(None, "--out", help="write predictions as CSV here instead of printing JSON lines"),
) -> None:
    """举报文本分类 — print fraud type, probabilities and indicative terms for each text."""
    import pandas as pd

    from fanzha.analytics.reports_text import load_classifier

    items = list(texts or [])
    frame = None
    if file is not None:
        from fanzha.analytics.reports_text.dataset import _read_csv

        frame = _read_csv(file)
        items += frame["content"].astype(str).tolist()
    if not items:
        raise typer.BadParameter("give texts or --file")
    clf = load_classifier(model)
    preds = clf.predict(items)
    if out is not None:
        rows = [{"content": t, "label": p.label, "label_zh": p.label_zh, "method": p.method,
                 "probability": round(p.probabilities[p.label], 4), "terms": " ".join(p.terms)}
                for t, p in zip(items, preds)]
        pd.DataFrame(rows).to_csv(out, index=False)
        typer.echo(f"{len(rows)} predictions ({clf.method}) → {out}")
        return
    for p in preds:
        typer.echo(json.dumps(p.as_dict(), ensure_ascii=False))


@reports_app.command("import")
def import_reports_cmd(
    path: Path = typer.Argument(..., exists=True, help="reports file (.csv in UTF-8 or GB18030/GBK, .xlsx, .parquet; contract columns) or a folder of them"),
) -> None:
    """导入12321举报 — import public reports: dedup, link to lines, classify, alert own lines (idempotent by
    report_id; bad rows go to a quarantine file with the reason)."""
    import getpass

    from fanzha.casework.auth.principal import Principal
    from fanzha.casework.bulk_intake import run_with_progress
    from fanzha.casework.reports.importer import import_reports
    from fanzha.config import get_settings
    from fanzha.migrate import upgrade

    settings = get_settings()
    upgrade(settings.db_url)
    run_with_progress(import_reports, path=path, label="导入举报 importing reports", settings=settings,
                      actor=Principal.system(f"cli:{getpass.getuser()}:reports-import"))  # fmt: skip
