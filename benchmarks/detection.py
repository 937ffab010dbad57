"""Detection quality on the synthetic province: train on one seed, evaluate on another.

    python benchmarks/detection.py [--lines 10000] [--days 7] [--train-seed 11] [--test-seed 23]

The test province uses a different scenario mix (more fraud callers and SIM banks, more
elderly-care fraud, fewer resold cards) at the default camouflage. In the same run, every
detector is compared with two baselines on the same test data:

* rule of thumb — the operators' rule alone: a line with > 100 outgoing calls in one clock
  hour, mostly ≤ 10 s (for cell_anomaly: the cells those lines call from);
* single feature — one feature with a threshold fitted on the training province (best F1):
  fraud_caller ``calls_out_24h``, simbox ``max_lines_on_imei_24h``, resold_card
  ``usual_distance_km_24h`` (checked at the same checkpoints as fanzha), cell_anomaly the
  cell's outgoing calls in one hour.

Prints precision, recall, F1 and median delay per detector and method (evaluate's label mapping).
``--speed-cdrs 20000000`` (or ``--speed-province DIR`` to reuse a `fanzha sim` week) also times
`fanzha detect` end to end on a prefecture's week (target ≤ 5 min); ``--speed-only`` skips quality.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _harness import make_province  # noqa: E402

from fanzha.analytics.detectors import fraud_caller  # noqa: E402
from fanzha.analytics.detectors.base import Alert, Reason  # noqa: E402
from fanzha.analytics.detectors.context import HOUR, DetectionContext, epoch_to_time, open_context  # noqa: E402
from fanzha.analytics.detectors.lines import hourly_out, line_frame  # noqa: E402
from fanzha.analytics.detectors.output import read_alerts, write_alerts  # noqa: E402
from fanzha.analytics.evaluate import evaluate, read_labels  # noqa: E402
from fanzha.analytics.pipeline import detect_on  # noqa: E402

TEST_MIX = """
[fraud]
fraud_caller = 0.006
elderly_care_share = 0.5
simbox = 0.004
resold = 0.001
"""
CDRS_PER_LINE_DAY = 5.3  # the default province's voice records per line and day (measured)
SINGLE = {"fraud_caller": "calls_out_24h", "simbox": "max_lines_on_imei_24h", "resold_card": "usual_distance_km_24h"}
R = [Reason("baseline", 1, "基线", "baseline")]


def context(prov: Path, work: Path, models=None) -> DetectionContext:
    ctx, _ = open_context(workdir=work, cdr=prov / "cdr", sms=prov / "sms", subscribers=prov / "subscribers.csv",
                          cells=prov / "cells.csv", models=models)
    return ctx


def feature_timeline(ctx: DetectionContext, feature: str) -> pd.DataFrame:
    from fanzha.analytics.features import compute_line_features

    parts = []
    for as_of in ctx.checkpoints(fraud_caller.STEP_S):
        f = line_frame(ctx, as_of)
        if feature not in f:  # e.g. mobility, which the detectors' line frame leaves out
            f = ctx.memo(("mobility", as_of), lambda a=as_of: compute_line_features(
                ctx.engine, as_of=int(a), windows=("24h",), families=("mobility",)).set_index("msisdn"))
        if feature in f:
            parts.append(pd.DataFrame({"msisdn": f.index, "as_of": as_of, "value": f[feature].fillna(0).to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def cell_hours(ctx: DetectionContext) -> pd.DataFrame:
    from fanzha.analytics.detectors.cell_anomaly import hourly_calls

    return hourly_calls(ctx)


def best_threshold(values: pd.Series, positive: pd.Series) -> float:
    """Threshold on the training province with the best F1 (values and truth aligned by index)."""
    cands = np.unique(np.quantile(values, np.linspace(0.5, 1.0, 101)))
    best, best_f = cands[-1], -1.0
    for t in cands:
        pred = values >= t
        tp = (pred & positive).sum()
        p = tp / max(pred.sum(), 1)
        r = tp / max(positive.sum(), 1)
        f = 2 * p * r / (p + r) if p + r else 0
        if f > best_f:
            best, best_f = t, f
    return float(best)


def line_truth(labels: pd.DataFrame, index, target: str) -> pd.Series:
    return pd.Series(labels["label"].reindex(index).fillna("normal").to_numpy() == target, index=index)


def baseline_alerts(ctx: DetectionContext, thresholds: dict[str, float], bank_cells_rule) -> dict[str, list[Alert]]:
    out: dict[str, list[Alert]] = {}
    hits = hourly_out(ctx)
    first = hits.groupby("msisdn")["hour_ts"].min()
    thumb = [Alert(subject_type="msisdn", subject=m, detector="x", score=1.0, event_time=epoch_to_time(t + HOUR), reasons=R)
             for m, t in first.items()]
    for det in ("fraud_caller", "simbox", "resold_card"):
        out[f"{det}:rule_of_thumb"] = [Alert(**{**a.__dict__, "detector": f"{det}:rule_of_thumb"}) for a in thumb]
        tl = feature_timeline(ctx, SINGLE[det])
        fl = tl[tl["value"] >= thresholds[det]].groupby("msisdn")["as_of"].min()
        out[f"{det}:single_feature"] = [Alert(subject_type="msisdn", subject=m, detector=f"{det}:single_feature", score=1.0,
                                              event_time=epoch_to_time(t), reasons=R) for m, t in fl.items()]
    # cell level: the cells rule-of-thumb lines called from; cells over a per-hour call threshold
    if len(hits):
        cells = ctx.df("SELECT cell_id, msisdn, MIN(ts) AS t FROM cdr WHERE direction = 'out' AND cell_id IS NOT NULL GROUP BY cell_id, msisdn")
        c = cells[cells["msisdn"].isin(first.index)]
        out["cell_anomaly:rule_of_thumb"] = [
            Alert(subject_type="cell", subject=cell, detector="cell_anomaly:rule_of_thumb", score=1.0,
                  event_time=epoch_to_time(int(p["t"].min())), reasons=R, evidence={"lines": sorted(p["msisdn"])})
            for cell, p in c.groupby("cell_id")]
    else:
        out["cell_anomaly:rule_of_thumb"] = []
    ch = cell_hours(ctx)
    over = ch[ch["out_calls"] >= thresholds["cell_anomaly"]]
    alerts = []
    if len(over):
        lines = ctx.df("SELECT cell_id, msisdn, COUNT(*) AS n FROM cdr WHERE direction = 'out' AND cell_id IS NOT NULL GROUP BY cell_id, msisdn")
        for cell, p in over.groupby("cell_id"):
            top = lines[lines["cell_id"] == cell].nlargest(20, "n")["msisdn"].tolist()
            alerts.append(Alert(subject_type="cell", subject=cell, detector="cell_anomaly:single_feature", score=1.0,
                                event_time=epoch_to_time(int(p["hour_ts"].min()) + HOUR), reasons=R, evidence={"lines": top}))
    out["cell_anomaly:single_feature"] = alerts
    return out


def fit_thresholds(ctx: DetectionContext, labels: pd.DataFrame) -> dict[str, float]:
    th = {}
    for det, feat in SINGLE.items():
        target = {"fraud_caller": "fraud_caller", "simbox": "simbox", "resold_card": "resold"}[det]
        tl = feature_timeline(ctx, feat)
        per_line = tl.groupby("msisdn")["value"].max()
        th[det] = best_threshold(per_line, line_truth(labels, per_line.index, target))
    ch = cell_hours(ctx)
    bank = set(labels.index[labels["label"] == "simbox"])
    main = ctx.df("SELECT msisdn, MODE(cell_id) AS cell_id FROM cdr WHERE cell_id IS NOT NULL GROUP BY msisdn")
    bank_cells = set(main[main["msisdn"].isin(bank)]["cell_id"])
    per_cell = ch.groupby("cell_id")["out_calls"].max()
    th["cell_anomaly"] = best_threshold(per_cell, pd.Series(per_cell.index.isin(bank_cells), index=per_cell.index))
    return th


def speed(cdrs: int, days: int, work: Path, model_dir: Path | None, province: Path | None = None) -> dict:
    """`fanzha detect` end to end (ingest, all detectors, outputs) on a province sized to ~cdrs voice records.

    ``province``: an existing `fanzha sim` folder to reuse (e.g. /work/bench-data/week20m), else one is
    simulated into ``work``. Prints wall and process CPU time and the load average around the run.
    """
    import os
    import resource

    from fanzha.analytics.pipeline import run_detect

    t_sim = 0.0
    if province is None:
        lines = max(50, int(cdrs / (CDRS_PER_LINE_DAY * days)))
        t = time.perf_counter()
        province = make_province(work / "speed", lines=lines, days=days, seed=99, mix=None)
        t_sim = time.perf_counter() - t
    files = {name: next((province / f"{name}.{ext}" for ext in ("parquet", "csv") if (province / f"{name}.{ext}").exists()), None)
             for name in ("subscribers", "cells")}
    load0 = os.getloadavg()[0]
    c0 = time.process_time()
    summary = run_detect(cdr=province / "cdr", sms=province / "sms", subscribers=files["subscribers"],
                         cells=files["cells"], out=work / "speed_out", model_dir=model_dir)
    cpu = time.process_time() - c0
    load1 = os.getloadavg()[0]
    n = summary["rows_read"].get("cdr", 0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nspeed: {province} — {n:,} CDRs + {summary['rows_read'].get('sms', 0):,} SMS"
          + (f" (simulated in {t_sim:.0f} s)" if t_sim else ""))
    print(f"{'step':28s} {'wall s':>8s}")
    print(f"{'ingest (validate + store)':28s} {summary['seconds_ingest']:8.1f}")
    for name, sec in summary["seconds_by_detector"].items():
        print(f"{'detector ' + name:28s} {sec:8.1f}")
    target = "met" if summary["seconds"] <= 300 else "NOT met"
    print(f"{'fanzha detect total':28s} {summary['seconds']:8.1f}   process CPU {cpu:.0f} s, peak RSS {rss:,.0f} MB, "
          f"{n / summary['seconds']:,.0f} CDRs/s; load average {load0:.1f} before, {load1:.1f} after "
          f"({os.cpu_count()} cores); target ≤ 300 s: {target}")
    print(f"alerts {summary['alerts_by_detector']} ({summary['models']})")
    return summary


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=10000, help="lines per province")
    ap.add_argument("--days", type=int, default=7, help="days of records per province")
    ap.add_argument("--train-seed", type=int, default=11, help="seed of the training province")
    ap.add_argument("--test-seed", type=int, default=23, help="seed of the test province (different scenario mix)")
    ap.add_argument("--work", type=Path, default=None, help="working folder (default: a temporary one)")
    ap.add_argument("--speed-cdrs", type=int, default=0,
                    help="also time `fanzha detect` on a province of about this many CDRs (e.g. 20000000)")
    ap.add_argument("--speed-province", type=Path, default=None,
                    help="reuse this `fanzha sim` folder for the speed run (e.g. /work/bench-data/week20m)")
    ap.add_argument("--speed-only", action="store_true", help="skip the quality part")
    ap.add_argument("--model", type=Path, default=None, help="MODELDIR for the speed run (default: rules only)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    work = args.work or Path(tempfile.mkdtemp(prefix="fanzha-detbench-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.speed_only:
        speed(args.speed_cdrs, args.days, work, args.model, args.speed_province)
        return
    train_p = make_province(work / "train", lines=args.lines, days=args.days, seed=args.train_seed, mix=None)
    test_p = make_province(work / "test", lines=args.lines, days=args.days, seed=args.test_seed, mix=TEST_MIX)
    t_sim = time.perf_counter() - t0

    t = time.perf_counter()
    train_ctx = context(train_p, work / "train_work")
    train_labels = read_labels(train_p / "labels.csv")
    model = fraud_caller.train(train_ctx, train_labels)
    model.save(work / "model" / "fraud_caller")
    thresholds = fit_thresholds(train_ctx, train_labels)
    t_train = time.perf_counter() - t

    t = time.perf_counter()
    test_ctx = context(test_p, work / "test_work", models={"fraud_caller": model})
    alerts, scores, timing = detect_on(test_ctx)
    t_detect = time.perf_counter() - t
    base = baseline_alerts(test_ctx, thresholds, None)
    every = alerts + [a for lst in base.values() for a in lst]
    write_alerts(every, work / "alerts.csv")
    test_labels = read_labels(test_p / "labels.csv")
    res = evaluate(read_alerts(work / "alerts.csv"), test_labels)

    counts = test_labels["label"].value_counts().to_dict()
    print(f"train province seed {args.train_seed}, test province seed {args.test_seed} ({args.lines} lines, {args.days} days; "
          f"test labels {counts}); default camouflage")
    print(f"baseline thresholds fitted on the training province: " + ", ".join(f"{k} {v:.3g}" for k, v in thresholds.items()))
    print(f"{'detector':14s} {'method':16s} {'alerted':>7s} {'precision':>9s} {'recall':>7s} {'F1':>6s} {'median delay h':>15s}")
    for det in ("fraud_caller", "simbox", "resold_card", "cell_anomaly"):
        for method, key in (("fanzha", det), ("rule of thumb", f"{det}:rule_of_thumb"), ("single feature", f"{det}:single_feature")):
            m = res.get(key)
            if m is None:
                print(f"{det:14s} {method:16s} {0:7d} {0:9.3f} {0:7.3f} {0:6.3f} {'—':>15s}")
                continue
            d = "—" if m["median_delay_hours"] is None else f"{m['median_delay_hours']:.2f}"
            print(f"{det:14s} {method:16s} {m['alerted']:7d} {m['precision']:9.3f} {m['recall']:7.3f} {m['f1']:6.3f} {d:>15s}")
    print(f"times: simulate {t_sim:.0f} s, train (features + model + baselines) {t_train:.0f} s, "
          f"detect {t_detect:.0f} s {timing}; total {time.perf_counter() - t0:.0f} s (2 shared cores)")
    if args.speed_cdrs or args.speed_province:  # with the model just trained, as an operator would run it
        speed(args.speed_cdrs, args.days, work, args.model or work / "model", args.speed_province)


if __name__ == "__main__":
    main()
