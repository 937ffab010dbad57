"""Precision, recall, F1 and detection delay of alerts against ground-truth labels.

Which labels count for which detector (documented in the README, printed with the results):

| detector | unit | a hit is |
|---|---|---|
| fraud_caller, rule_of_thumb, single_feature | line | a line labelled `fraud_caller` |
| simbox | line | a line labelled `simbox` (device/cell alerts count through the member lines they name) |
| resold_card | line | a line labelled `resold` |
| cell_anomaly | cell | a cell alert whose driving lines include a `simbox` line; recall = share of SIM-bank rings (`ring_id`, else all `simbox` lines as one ring) with at least one such cell alert |

An alert on a line that carries *another* fraud label (e.g. `fraud_caller` flagging a `mule`
line) is a fraud-linked line, not a false alarm: it is left out of precision and reported as
`other_fraud`; `strict_precision` counts it as wrong. Lines absent from the labels are normal.
Delay = first alert time − `since`; the first alert time is `evidence.line_first_alert_time[line]`
or `evidence.first_alert_time` when the detector records it (the moment the evidence first crossed its alert threshold, as a live run
would have alerted), else `event_time`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

LINE_TARGETS: dict[str, set[str]] = {
    "fraud_caller": {"fraud_caller"},
    "rule_of_thumb": {"fraud_caller"},
    "single_feature": {"fraud_caller"},
    "simbox": {"simbox"},
    "resold_card": {"resold"},
}
CELL_TARGETS: dict[str, set[str]] = {"cell_anomaly": {"simbox"}}
NORMAL = "normal"


def target_for(detector: str) -> tuple[str, set[str]]:
    """(unit, labels) for a detector; baselines named ``<detector>:<variant>`` share its target."""
    base = detector.split(":", 1)[0]
    if base in CELL_TARGETS:
        return "cell", CELL_TARGETS[base]
    if base in LINE_TARGETS:
        return "line", LINE_TARGETS[base]
    raise KeyError(f"no label mapping for detector {detector!r}; add it to fanzha.analytics.evaluate")


def read_labels(path: Path) -> pd.DataFrame:
    labels = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"msisdn", "label"} - set(labels.columns)
    if missing:
        raise ValueError(f"{path}: labels need columns msisdn, label (missing {sorted(missing)})")
    since = labels["since"] if "since" in labels else pd.Series("", index=labels.index)
    labels["since"] = _times(since)
    if "ring_id" not in labels:
        labels["ring_id"] = ""
    return labels.drop_duplicates("msisdn", keep="last").set_index("msisdn")


def _times(values: pd.Series) -> pd.Series:
    """Contract times: ISO 8601; without offset they are China Standard Time."""
    out = []
    for v in values:
        if not v:
            out.append(pd.NaT)
            continue
        ts = pd.Timestamp(v)
        out.append((ts.tz_localize("Asia/Shanghai") if ts.tzinfo is None else ts).tz_convert("UTC"))
    return pd.Series(pd.to_datetime(out, utc=True), index=values.index)


def _alert_lines(row) -> list[str]:
    if row.subject_type == "msisdn":
        return [str(row.subject)]
    lines = row.evidence.get("lines", []) if isinstance(row.evidence, Mapping) else []
    return [str(x) for x in lines]


def _first_time(row, line: str | None = None) -> pd.Timestamp:
    ev = row.evidence if isinstance(row.evidence, Mapping) else {}
    per_line = ev.get("line_first_alert_time") or {}
    first = per_line.get(line) if line is not None else None
    first = first or ev.get("first_alert_time")
    if first:
        return _times(pd.Series([first])).iloc[0]
    return row.event_time


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _median_hours(deltas: list[pd.Timedelta]) -> float | None:
    vals = [d.total_seconds() / 3600 for d in deltas if d is not None and not pd.isna(d)]
    return float(np.median(vals)) if vals else None


def evaluate_lines(alerts: pd.DataFrame, labels: pd.DataFrame, targets: set[str]) -> dict[str, Any]:
    first: dict[str, pd.Timestamp] = {}
    for row in alerts.itertuples(index=False):
        for line in _alert_lines(row):
            t = _first_time(row, line)
            cur = first.get(line)
            if cur is None or (not pd.isna(t) and (pd.isna(cur) or t < cur)):
                first[line] = t
    label_of = labels["label"]
    positives = set(label_of.index[label_of.isin(targets)])
    other = set(label_of.index[~label_of.isin(targets | {NORMAL, ""})])
    alerted = set(first)
    tp = alerted & positives
    other_hit = (alerted - positives) & other
    fp = alerted - positives - other
    p, r, f = _prf(len(tp), len(fp), len(positives - alerted))
    delays = [first[m] - labels.at[m, "since"] for m in tp]
    return {
        "unit": "line",
        "target_labels": sorted(targets),
        "alerted": len(alerted),
        "positives": len(positives),
        "tp": len(tp),
        "fp": len(fp),
        "fn": len(positives - alerted),
        "other_fraud": len(other_hit),
        "precision": p,
        "strict_precision": len(tp) / len(alerted) if alerted else 0.0,
        "recall": r,
        "f1": f,
        "median_delay_hours": _median_hours(delays),
    }


def evaluate_cells(alerts: pd.DataFrame, labels: pd.DataFrame, targets: set[str]) -> dict[str, Any]:
    bank = labels[labels["label"].isin(targets)]
    rings = {m: (rid or "_all") for m, rid in zip(bank.index, bank["ring_id"], strict=True)}
    ring_since = bank.assign(ring=[rings[m] for m in bank.index]).groupby("ring")["since"].min()
    cells = alerts[alerts["subject_type"] == "cell"]
    tp_cells, fp_cells, ring_first = 0, 0, {}
    for row in cells.itertuples(index=False):
        hit = {rings[m] for m in _alert_lines(row) if m in rings}
        if hit:
            tp_cells += 1
            t = _first_time(row)
            for ring in hit:
                if ring not in ring_first or t < ring_first[ring]:
                    ring_first[ring] = t
        else:
            fp_cells += 1
    n_rings = len(ring_since)
    p = tp_cells / (tp_cells + fp_cells) if tp_cells + fp_cells else 0.0
    r = len(ring_first) / n_rings if n_rings else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    delays = [ring_first[g] - ring_since[g] for g in ring_first]
    return {
        "unit": "cell",
        "target_labels": sorted(targets),
        "alerted": int(len(cells)),
        "positives": n_rings,
        "tp": tp_cells,
        "fp": fp_cells,
        "fn": n_rings - len(ring_first),
        "other_fraud": 0,
        "precision": p,
        "strict_precision": p,
        "recall": r,
        "f1": f,
        "median_delay_hours": _median_hours(delays),
    }


def evaluate(alerts: pd.DataFrame, labels: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per-detector metrics for every detector present in ``alerts`` (see module doc for the mapping)."""
    results: dict[str, dict[str, Any]] = {}
    for detector in sorted(alerts["detector"].unique()) if len(alerts) else []:
        unit, targets = target_for(detector)
        part = alerts[alerts["detector"] == detector]
        fn = evaluate_cells if unit == "cell" else evaluate_lines
        results[detector] = fn(part, labels, targets)
    return results


def metrics_table(results: Mapping[str, Mapping[str, Any]], title: str = "evaluation 评估"):
    from rich.table import Table

    table = Table(title=title)
    for col in ("detector", "unit", "alerted", "tp", "fp", "fn", "precision", "recall", "F1", "median delay h"):
        table.add_column(col, justify="left" if col in ("detector", "unit") else "right")
    for name, m in results.items():
        delay = m["median_delay_hours"]
        table.add_row(
            name, m["unit"], str(m["alerted"]), str(m["tp"]), str(m["fp"]), str(m["fn"]),
            f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}",
            "—" if delay is None else f"{delay:.2f}",
        )
    return table
