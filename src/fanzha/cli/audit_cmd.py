"""fanzha audit …: check the audit trail's hash chain."""

from __future__ import annotations

import typer

from fanzha.cli import app
from fanzha.config import get_settings

audit_app = typer.Typer(help="审计 Audit trail: verify the hash chain.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def verify(
    url: str = typer.Option(None, "--url", help="SQLAlchemy URL; default: FANZHA_DATABASE_URL or the SQLite file"),
) -> None:
    """Walk every event; exit 1 and name each altered or deleted event if the chain is broken.

    The head (last seq and hash) printed on success can be kept elsewhere: a later run that shows an
    earlier head reveals events removed from the end.
    """
    from fanzha.casework.audit.service import chain_key
    from fanzha.casework.audit.service import verify as do_verify
    from fanzha.db import engine_for, session_scope

    settings = get_settings()
    with session_scope(engine_for(url or settings.db_url)) as db:
        result = do_verify(db, key=chain_key(settings))
    if result.ok:
        typer.echo(f"audit chain OK: {result.checked} events; head seq {result.head_seq} hash {result.head_hash}")
        return
    typer.echo(f"audit chain BROKEN: {len(result.problems)} problem(s) in {result.checked} events", err=True)
    for problem in result.problems:
        typer.echo(f"  - {problem}", err=True)
    raise typer.Exit(1)
