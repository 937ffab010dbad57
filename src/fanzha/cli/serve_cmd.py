"""fanzha serve: the web application (pages + REST API) under uvicorn."""

from __future__ import annotations

import typer

from fanzha.cli import app


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on (keep 127.0.0.1 behind a reverse proxy)"),
    port: int = typer.Option(8000, help="TCP port"),
    proxy_headers: bool = typer.Option(False, help="trust X-Forwarded-For from the reverse proxy (client address)"),
    migrate: bool = typer.Option(True, help="apply database migrations before serving"),
    run_monitor: bool = typer.Option(True, "--monitor/--no-monitor",
                                     help="also run the 24×7 monitor when FANZHA_MONITOR_DROP is set"),
    workers: int = typer.Option(1, min=1, max=64,
                                help="worker processes (one per core for the counter-check API's load; "
                                     "with more than one, run the monitor on its own: `fanzha monitor`)"),
) -> None:
    """启动网页服务 Serve the pages and the API (log in with accounts from `fanzha user add`)."""
    import uvicorn

    from fanzha.config import get_settings
    from fanzha.web.app import create_app

    settings = get_settings()
    if migrate:
        from fanzha.migrate import upgrade

        upgrade(settings.db_url)
    if workers > 1:
        # Each worker process builds its own app (rules, keys, connection pool) from the same settings.
        if settings.monitor_drop is not None and run_monitor:
            raise typer.BadParameter("the monitor runs in one process: start it with `fanzha monitor` and "
                                     "serve with --no-monitor", param_hint="--workers")  # fmt: skip
        uvicorn.run("fanzha.web.app:create_app", factory=True, workers=workers, host=host, port=port,
                    proxy_headers=proxy_headers, forwarded_allow_ips="127.0.0.1" if proxy_headers else None,
                    server_header=False)  # fmt: skip
        return
    web = create_app(settings)
    monitor = _start_monitor(web, settings) if settings.monitor_drop is not None and run_monitor else None
    try:
        uvicorn.run(web, host=host, port=port, proxy_headers=proxy_headers,
                    forwarded_allow_ips="127.0.0.1" if proxy_headers else None, server_header=False)  # fmt: skip
    finally:
        if monitor is not None:
            monitor.stop()
            web.state.monitor_thread.join(timeout=60)
            monitor.close()


def _start_monitor(web, settings):
    """The 24×7 monitor in a background thread of the same process (its /metrics and health are the app's)."""
    import threading

    from fanzha.monitor.logs import json_logging
    from fanzha.monitor.service import Monitor

    json_logging(settings.log_level)
    monitor = Monitor(drop_dir=settings.monitor_drop, settings=settings)
    web.state.monitor = monitor
    web.state.monitor_thread = threading.Thread(target=monitor.run_forever, name="monitor", daemon=True)
    web.state.monitor_thread.start()
    return monitor
