"""fanzha sim: write a synthetic province (data-contract files + labels) for demos, tests and evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from fanzha.cli import app

_KNOBS = r"""
Scenario knobs live in a TOML file merged over the shipped default
(src/fanzha/sim/default.toml, modelled on 咸宁市 Xianning: 咸安区 421202, 嘉鱼县 421221, 通城县 421222,
崇阳县 421223, 通山县 421224, 赤壁市 421281; area code 0715). A scenario file needs only the keys it
changes, e.g.

    \[fraud]
    camouflage = 0.8      # 0 = textbook fraud, 1 = fraudsters mimic normal users
    fraud_caller = 0.006  # share of lines in fraud-caller rings
    simbox = 0.002        # share of lines that are SIM-bank members
    bulk_opening = 0.003  # fixed/IoT lines opened in bulk by gangs
    resold = 0.002        # students' lines sold to buyers in border towns
    \[calling]
    social_calls_per_line_day = 3.0
    \[hard_negatives]
    courier = 0.006       # legitimate heavy callers

Sections: network, population, geography (counties, remote), ids, shops, calling, hard_negatives,
fraud, roles.<role> (per-role rates, durations, hours, targets), reports, tips, blacklist,
tactics (share of lines per tactic of fanzha.sim.tactics, e.g. slow_caller = 0.004; docs/detection.md),
labels (unlabelled_share: that share of fraud lines written as normal in labels.csv, the training view;
labels_truth.csv then holds the true labels).
"""


@app.command("sim", help="生成合成省份 — write a synthetic province: subscribers, cells, cdr/, sms/, labels, "
                         "blacklist, reports, tips (data contract). Deterministic for a seed.\n" + _KNOBS)
def sim(
    lines: int = typer.Option(20000, "--lines", help="own subscriber lines (mobile, fixed and IoT)"),
    days: int = typer.Option(7, "--days", help="days of call and SMS records (one file per day)"),
    seed: int = typer.Option(1, "--seed", help="random seed: same seed and config → same files"),
    out: Path = typer.Option(..., "--out", help="output folder (created if missing)"),
    config: Path = typer.Option(None, "--config", exists=True, dir_okay=False,
                                help="scenario TOML merged over the default (see below)"),
    fmt: str = typer.Option("csv", "--format", help="csv or parquet (same file names and columns)"),
    start: str = typer.Option(None, "--start", help="first day, YYYY-MM-DD (default 2026-11-01)"),
    dirty_rate: float = typer.Option(0.0, "--dirty-rate", min=0.0, max=0.5,
                                     help="share of CDR/SMS/subscriber rows deliberately malformed, to exercise "
                                          "ingest quarantine (default 0: all rows valid)"),
    workers: int = typer.Option(None, "--workers", min=1,
                                help="processes generating the records (default: one per core); the files "
                                     "are the same whatever the number"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress bar; print only the JSON summary"),
) -> None:
    from datetime import date

    from fanzha.sim import simulate

    if fmt not in ("csv", "parquet"):
        raise typer.BadParameter("use csv or parquet", param_hint="--format")
    summary = simulate(lines=lines, days=days, seed=seed, out=out, config=config, fmt=fmt,
                       start=date.fromisoformat(start) if start else None, progress=not quiet,
                       dirty_rate=dirty_rate, workers=workers)
    typer.echo(json.dumps(summary, ensure_ascii=False))
