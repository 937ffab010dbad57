"""Demo step: the last simulated day's call records arrive as mediation drops and go through the 24×7 monitor.

The day's CDR and SMS files are cut into a few drops (as a mediation system writes them every few minutes),
written beside the drop folder and renamed in (complete files only), then one monitor cycle ingests, scores
and alerts them. The dashboard's monitoring panel (lag from arrival to alert, people warned) then has data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fanzha.config import Settings

DROPS_PER_DAY = 6


@dataclass(frozen=True)
class MonitorDemo:
    files: int
    rows: int
    alerts: int
    warnings: int
    lag_p50_s: float | None


def run_monitor_demo(settings: Settings, out: Path, *, drops: int = DROPS_PER_DAY) -> MonitorDemo:
    from fanzha.monitor.service import Monitor

    drop = settings.monitor_home / "drop"
    staging = settings.monitor_home / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    drop.mkdir(parents=True, exist_ok=True)
    for kind in ("cdr", "sms"):
        days = sorted((out / kind).glob("*.csv"))
        if not days:
            continue
        # Bytes kept as they are (numbers with a leading 0 stay text): cut at line ends, header on every part.
        header, *rows = days[-1].read_text(encoding="utf-8").splitlines(keepends=True)
        step = -(-len(rows) // drops)
        for i in range(0, len(rows), step):
            name = f"{kind}_{days[-1].stem}_{i // step:02d}.csv"
            tmp = staging / name
            tmp.write_text(header + "".join(rows[i:i + step]), encoding="utf-8")
            os.replace(tmp, drop / name)  # the drop folder only ever sees complete files
    # Files are renamed in whole, so the monitor need not wait for them to settle.
    mon_settings = settings.model_copy(update={"monitor_subscribers": out / "subscribers.csv", "monitor_cells": out / "cells.csv",
                                               "monitor_settle_seconds": 0.0})
    mon = Monitor(drop_dir=drop, settings=mon_settings)
    try:
        res = mon.run_once()
    finally:
        mon.close()
    lags = sorted(res.lags)
    return MonitorDemo(files=res.files, rows=res.rows, alerts=res.alerts, warnings=res.warnings,
                       lag_p50_s=lags[len(lags) // 2] if lags else None)
