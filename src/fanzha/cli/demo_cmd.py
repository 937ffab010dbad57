"""fanzha demo: the README's main job on the embedded default (SQLite + DuckDB, synthetic data)."""

from __future__ import annotations

from pathlib import Path

import typer

from fanzha.cli import app
from fanzha.config import get_settings


@app.command()
def demo(
    lines: int = typer.Option(20000, help="lines in the synthetic province"),
    days: int = typer.Option(7, help="days of call records"),
    seed: int = typer.Option(1, help="random seed"),
    out: Path = typer.Option(None, help="folder for the generated files (default: FANZHA_HOME/demo)"),
) -> None:
    """生成演示省份并装载 — generate a small synthetic province, load it, print a summary."""
    from fanzha.demo import run_demo

    settings = get_settings()
    run_demo(settings=settings, lines=lines, days=days, seed=seed, out=out or settings.home / "demo")
