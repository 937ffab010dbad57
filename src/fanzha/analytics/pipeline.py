"""`fanzha train` and `fanzha detect` as functions: files in, model directory / alerts out.

detect writes to OUT: alerts.csv, scores.csv, summary.json (../shared/spec/data-contract.md) and
quarantine/ (rows that broke the contract, with the reason). Its working store lives in
OUT/_work and is removed at the end unless ``keep_work``.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from fanzha.analytics.detectors.base import SCORED_DETECTORS, Alert, registered
from fanzha.analytics.detectors.context import DetectionContext, open_context
from fanzha.analytics.detectors.output import write_alerts, write_scores, write_summary
from fanzha.analytics.evaluate import read_labels
from fanzha.analytics.models import TrainedModel

SHIPPED = Path(__file__).with_name("shipped_models")
MANIFEST = "manifest.json"


def load_models(model_dir: Path | None) -> tuple[dict[str, TrainedModel], str]:
    """Models from MODELDIR (one sub-folder per detector), else the ones shipped in the package."""
    for folder, origin in ((model_dir, "model_dir"), (SHIPPED, "shipped")):
        if folder is None:
            continue
        folder = Path(folder)
        if not folder.is_dir():
            if origin == "model_dir":
                raise FileNotFoundError(f"model directory {folder} does not exist")
            continue
        models = {sub.name: TrainedModel.load(sub) for sub in sorted(folder.iterdir()) if (sub / "booster.txt").is_file()}
        if models or origin == "model_dir":
            return models, f"{origin}:{folder}"
    return {}, "rules only"


def _copy_quarantine(ingest_summary: dict, out: Path) -> list[str]:
    files = []
    qdir = out / "quarantine"
    for f in ingest_summary.get("quarantine_files", []):
        src = Path(f)
        if src.is_file():
            qdir.mkdir(parents=True, exist_ok=True)
            dst = qdir / src.name
            shutil.copyfile(src, dst)
            files.append(str(dst))
    return files


def _rows(ingest_summary: dict) -> tuple[dict, dict, int]:
    read, quarantined, total_q = {}, {}, 0
    for kind, ks in ingest_summary.get("kinds", {}).items():
        read[kind] = ks.get("rows_read", 0)
        quarantined[kind] = ks.get("quarantined", {})
        total_q += sum(quarantined[kind].values())
    return read, quarantined, total_q


def _duplicates(ingest_summary: dict) -> dict[str, int]:
    """Valid records dropped per kind because their record_id was already read (the contract counts it once)."""
    return {kind: int(ks.get("duplicates", 0)) for kind, ks in ingest_summary.get("kinds", {}).items()}


def detect_on(ctx: DetectionContext, *, detectors: list[str] | None = None, progress=None) -> tuple[list[Alert], pd.DataFrame, dict]:
    """Run detectors on an open context: (alerts, per-line scores, seconds per detector)."""
    chosen = registered()
    names = detectors or list(chosen)
    alerts: list[Alert] = []
    scores = {}
    timing = {}
    for name in names:
        t = time.perf_counter()
        det = chosen[name]()
        alerts.extend(det.detect(ctx))
        if name in SCORED_DETECTORS and hasattr(det, "line_scores"):
            scores[name] = det.line_scores(ctx)
        timing[name] = round(time.perf_counter() - t, 3)
        if progress:
            progress(name)
    lines = pd.Index([], dtype=object)
    active = ctx.df("SELECT DISTINCT msisdn FROM cdr UNION SELECT DISTINCT msisdn FROM sms")["msisdn"] if not ctx.empty else []
    lines = lines.union(pd.Index(active)).union(ctx.subscribers().index)
    for s in scores.values():
        lines = lines.union(s.index)
    frame = pd.DataFrame({name: s.reindex(lines) for name, s in scores.items()}, index=lines).fillna(0.0)
    return alerts, frame, timing


def run_detect(
    *, cdr: Path, out: Path, subscribers: Path | None = None, cells: Path | None = None, sms: Path | None = None,
    model_dir: Path | None = None, detectors: list[str] | None = None, keep_work: bool = False, progress=None,
    step_s: int | None = None,
) -> dict[str, Any]:
    started = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    work = out / "_work"
    shutil.rmtree(work, ignore_errors=True)
    models, model_origin = load_models(model_dir)
    t = time.perf_counter()
    ctx, ingest_summary = open_context(workdir=work, cdr=cdr, sms=sms, subscribers=subscribers, cells=cells, models=models,
                                       options={"step_s": step_s} if step_s else None)
    ingest_s = time.perf_counter() - t
    alerts, scores, timing = detect_on(ctx, detectors=detectors, progress=progress)
    n_alerts = write_alerts(alerts, out / "alerts.csv")
    write_scores(scores, out / "scores.csv")
    read, quarantined, total_q = _rows(ingest_summary)
    by_detector = dict(Counter(a.detector for a in alerts))
    qfiles = _copy_quarantine(ingest_summary, out)
    ctx.engine.close()
    if not keep_work:
        shutil.rmtree(work, ignore_errors=True)
    summary = {
        "rows_read": read, "rows_read_total": sum(read.values()),
        "rows_quarantined": total_q, "rows_quarantined_by_reason": quarantined, "quarantine_files": qfiles,
        "duplicates_removed": (dups := _duplicates(ingest_summary)), "duplicates_removed_total": sum(dups.values()),
        "subscribers_scored": int(len(scores)), "alerts": n_alerts, "alerts_by_detector": by_detector,
        "models": model_origin, "seconds": round(time.perf_counter() - started, 3),
        "seconds_ingest": round(ingest_s, 3), "seconds_by_detector": timing,
    }
    write_summary(summary, out / "summary.json")
    return summary


def run_train(
    *, cdr: Path, labels: Path, out: Path, subscribers: Path | None = None, cells: Path | None = None,
    sms: Path | None = None, seed: int = 0, progress=None, min_precision: float = 0.95,
    alert_budget: float | None = None,
) -> dict[str, Any]:
    """Train the fraud-caller model on labelled history; writes OUT/fraud_caller/ and a manifest.

    Labels may leave fraud lines unlabelled (real history does): the threshold is chosen by estimated
    precision ``min_precision`` and capped by ``alert_budget`` alerts per 10,000 lines per day
    (default: fraud_caller.ALERT_BUDGET); the card's ``pu`` section says what was estimated."""
    from fanzha.analytics.detectors import fraud_caller

    started = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    work = out / "_work"
    shutil.rmtree(work, ignore_errors=True)
    ctx, ingest_summary = open_context(workdir=work, cdr=cdr, sms=sms, subscribers=subscribers, cells=cells)
    lab = read_labels(labels)
    read, _, total_q = _rows(ingest_summary)
    budget = fraud_caller.ALERT_BUDGET if alert_budget is None else (alert_budget or None)  # 0: no budget
    model = fraud_caller.train(ctx, lab, seed=seed, min_precision=min_precision, alert_budget=budget, data_summary={
        "rows_read": read, "rows_quarantined": total_q, "labels": lab["label"].value_counts().to_dict(),
        "from": str(pd.Timestamp(ctx.start, unit="s", tz="Asia/Shanghai")) if ctx.start else None,
        "to": str(pd.Timestamp(ctx.end, unit="s", tz="Asia/Shanghai")) if ctx.end else None,
    })
    model.save(out / "fraud_caller")
    ctx.engine.close()
    shutil.rmtree(work, ignore_errors=True)
    manifest = {"models": {"fraud_caller": model.card["metrics"]}, "pu": {"fraud_caller": model.card["pu"]},
                "seconds": round(time.perf_counter() - started, 3)}
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n")
    return manifest
