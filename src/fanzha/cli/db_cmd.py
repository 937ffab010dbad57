"""fanzha db …: schema migrations."""

from __future__ import annotations

import typer

from fanzha.cli import app
from fanzha.config import get_settings

db_app = typer.Typer(help="数据库 Database schema: apply migrations, show the current revision.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade(
    url: str = typer.Option(None, "--url", help="SQLAlchemy URL; default: FANZHA_DATABASE_URL or the SQLite file"),
    revision: str = typer.Option("head", help="target revision"),
) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from fanzha.migrate import current_heads, upgrade as do_upgrade

    target = url or get_settings().db_url
    do_upgrade(target, revision)
    typer.echo(f"database at revision {', '.join(sorted(current_heads(target)))}")
