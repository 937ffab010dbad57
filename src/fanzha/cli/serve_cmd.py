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
) -> None:
    """启动网页服务 Serve the pages and the API (log in with accounts from `fanzha user add`)."""
    import uvicorn

    from fanzha.config import get_settings
    from fanzha.web.app import create_app

    settings = get_settings()
    if migrate:
        from fanzha.migrate import upgrade

        upgrade(settings.db_url)
    uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=proxy_headers,
                forwarded_allow_ips="127.0.0.1" if proxy_headers else None, server_header=False)  # fmt: skip
