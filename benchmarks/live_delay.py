"""Live delay: a province replayed hour by hour through `fanzha monitor`, beside batch `fanzha detect`.

    python benchmarks/live_delay.py [--lines 8000] [--days 7] [--seed 29] [--train-seed 31] [--work DIR]

`fanzha train` learns the fraud_caller model on a training province (train seed, the training mix: every
tactic of fanzha.sim.tactics at its training share). Only then is the test province simulated (its own
seed, another mix: other tactic shares, more fraud callers, more camouflage). Its records are replayed
through the monitor one clock hour at a time (fanzha.analytics.replay: each hour's CDR and SMS dropped
as files, one `--once` cycle, alerts recorded at the end of that hour), and the same province goes through
batch `fanzha detect --model`. Printed per detector: precision, recall and the median time from `since`
to the end of the hour after which the alert existed (live) or to the detector's causal first-alert time
(batch), ordinary lines wrongly alerted per 10,000 lines per day, and the issues' targets.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402


def figures_table(rows: list[tuple[str, str, dict, dict]]) -> list[str]:
    """rows: (detector, method, metrics or None, ordinary rates) → printed lines."""
    out = [f"{'detector':13s} {'method':22s} {'alerted':>7s} {'precision':>9s} {'recall':>7s} {'median delay h':>15s} "
           f"{'ordinary /10k/day':>17s} {'target P/R/delay':>17s}"]
    for det, method, m, ordinary in rows:
        tgt = h.TARGETS.get(det)
        tgt_s = "—" if tgt is None else f"{tgt[0]:.2f}/{tgt[1]:.2f}/{tgt[2]:.0f} h"
        o = ordinary.get(det) if ordinary else None
        if m is None:
            out.append(f"{det:13s} {method:22s} {0:7d} {'—':>9s} {'—':>7s} {'—':>15s} {h.fmt(o, 2):>17s} {tgt_s:>17s}")
            continue
        out.append(f"{det:13s} {method:22s} {m['alerted']:7d} {m['precision']:9.3f} {m['recall']:7.3f} "
                   f"{h.fmt(m['median_delay_hours'], 2):>15s} {h.fmt(o, 2):>17s} {tgt_s:>17s}")
    return out


def targets_lines(res: dict[str, dict], ordinary: dict[str, float], label: str) -> list[str]:
    out = []
    for det, (p, r, d) in h.TARGETS.items():
        m = res.get(det)
        got = (None, None, None) if m is None else (m["precision"], m["recall"], m["median_delay_hours"])
        out.append(f"  {label} {det}: P {h.fmt(got[0])} (≥ {p}: {h.verdict(got[0], p)}), R {h.fmt(got[1])} "
                   f"(≥ {r}: {h.verdict(got[1], r)}), delay {h.fmt(got[2], 2)} h (≤ {d}: {h.verdict(got[2], d, at_most=True)})")
    o = ordinary.get("any")
    out.append(f"  {label} ordinary lines wrongly alerted: {h.fmt(o, 2)} per 10,000 per day "
               f"(≤ {h.ORDINARY_TARGET}: {h.verdict(o, h.ORDINARY_TARGET, at_most=True)})")
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=8000, help="lines per province")
    ap.add_argument("--days", type=int, default=7, help="days of records per province")
    ap.add_argument("--seed", type=int, default=29, help="seed of the test province (replayed)")
    ap.add_argument("--train-seed", type=int, default=31, help="seed of the training province")
    ap.add_argument("--work", type=Path, default=None, help="working folder; simulated provinces are cached here")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = ap.parse_args(argv)
    h.check_seeds(train=args.train_seed, test=args.seed)
    t0 = time.perf_counter()
    work = args.work or Path(tempfile.mkdtemp(prefix="fanzha-live-"))
    cache = work / "provinces"
    print(f"seeds: train {args.train_seed}, test {args.seed}; {args.lines} lines × {args.days} days; work {work}")

    train_p = h.province(cache, role="train", lines=args.lines, days=args.days, seed=args.train_seed, mix=h.train_mix())
    model = work / "model"
    t_train = h.train(train_p, model, labels=h.training_labels(train_p, 0.0, seed=args.train_seed, folder=work))
    print(f"  trained fraud_caller on the training province in {t_train:.0f} s")

    # The test province exists only from here on: nothing above could look at it.
    test_p = h.province(cache, role="test", lines=args.lines, days=args.days, seed=args.seed, mix=h.test_mix())
    truth = test_p.truth_labels()
    t = time.perf_counter()
    live_alerts, stats = h.live(test_p, model, work / "replay", progress=h.day_progress("live"))
    t_live = time.perf_counter() - t
    t = time.perf_counter()
    batch_alerts = h.detect(test_p, model, work / "detect")
    t_batch = time.perf_counter() - t

    live_res, batch_res = h.scores(live_alerts, truth), h.scores(batch_alerts, truth)
    live_o = h.ordinary_rate(live_alerts, truth, lines=args.lines, days=args.days)
    batch_o = h.ordinary_rate(batch_alerts, truth, lines=args.lines, days=args.days)
    counts = truth["label"].value_counts().to_dict()
    print(f"\ntest province seed {args.seed} (labels {counts}); model trained on seed {args.train_seed}")
    rows = []
    for det in h.DETECTORS:
        rows.append((det, "live (monitor, hourly)", live_res.get(det), live_o))
        rows.append((det, "batch (fanzha detect)", batch_res.get(det), batch_o))
    print("\n".join(figures_table(rows)))
    print("targets (issues 21, 22):")
    print("\n".join(targets_lines(live_res, live_o, "live")))
    total = time.perf_counter() - t0
    print(f"times: train {t_train:.0f} s, live replay {t_live:.0f} s ({stats.hours} hours, {stats.files} files, "
          f"{stats.rows:,} records, median {sorted(stats.seconds_per_hour)[len(stats.seconds_per_hour) // 2]:.2f} s "
          f"per hour), batch detect {t_batch:.0f} s; total {total:.0f} s")
    out = {"seeds": {"train": args.train_seed, "test": args.seed}, "lines": args.lines, "days": args.days,
           "live": live_res, "batch": batch_res, "ordinary_live": live_o, "ordinary_batch": batch_o,
           "seconds": {"train": t_train, "live": t_live, "batch": t_batch, "total": total}}
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=2, default=str) + "\n")
    return out


if __name__ == "__main__":
    main()
