"""fanzha demo: the README's main job on the embedded default (SQLite + DuckDB, synthetic data), then serve."""

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
    serve: bool = typer.Option(True, "--serve/--no-serve", help="start the web server on the populated dashboard"),
    host: str = typer.Option("127.0.0.1", help="address to serve on"),
    port: int = typer.Option(8000, help="TCP port to serve on"),
) -> None:
    """生成演示省份、处理并启动看板 — generate a synthetic province, process it end to end (detection, cases,
    三级稽核, appeals), print the demo logins and serve the pages with the dashboard populated."""
    from fanzha.demo import run_demo

    settings = get_settings()
    result = run_demo(settings=settings, lines=lines, days=days, seed=seed, out=out or settings.home / "demo")
    if not serve:
        return
    import uvicorn
    from rich.console import Console

    from fanzha.web.app import create_app

    console = Console()
    console.rule("[bold]督导看板 dashboard")
    console.print(f"打开 open http://{host}:{port}/ — 用上表的演示账号登录 log in with a demo account above "
                  f"(e.g. demo_supervisor / {result['accounts'].get('demo_supervisor', '?')}); Ctrl+C 停止 stops.")
    uvicorn.run(create_app(settings), host=host, port=port, server_header=False, log_level="warning")
