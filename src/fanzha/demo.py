"""The demo job: synthetic province → registry database → summary. Later stages extend it."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from fanzha.config import Settings


def run_demo(*, settings: Settings, lines: int, days: int, seed: int, out: Path) -> dict:
    from fanzha.casework.registry.load import load_cells, load_subscribers
    from fanzha.migrate import upgrade
    from fanzha.sim import simulate

    console = Console()
    console.rule("[bold]fanzha 反诈 demo")
    console.print(f"1/3 生成合成省份 generating a synthetic province: {lines} lines, {days} days, seed {seed} → {out}")
    sim_summary = simulate(lines=lines, days=days, seed=seed, out=out)
    console.print(f"2/3 数据库迁移 migrating {settings.db_url}")
    upgrade(settings.db_url)
    console.print("3/3 装载登记数据 loading subscribers and cells")
    cells = load_cells(out / "cells.csv", url=settings.db_url)
    subs = load_subscribers(out / "subscribers.csv", url=settings.db_url, settings=settings)
    table = Table(title="summary 汇总")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key, value in sim_summary.items():
        if isinstance(value, int):
            table.add_row(f"sim: {key}", f"{value:,}")
    for name, res in (("cells", cells), ("subscribers", subs)):
        table.add_row(f"load {name}: loaded", f"{res.loaded:,}")
        table.add_row(f"load {name}: quarantined", f"{res.quarantined:,}")
    console.print(table)
    return {"sim": sim_summary, "cells": cells, "subscribers": subs}
