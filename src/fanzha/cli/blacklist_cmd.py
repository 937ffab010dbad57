"""fanzha blacklist …: import the police list, expire ended bans."""

from __future__ import annotations

from pathlib import Path

import typer

from fanzha.cli import app
from fanzha.config import get_settings

blacklist_app = typer.Typer(help="惩戒名单 Police blacklist: import, expire.", no_args_is_help=True)
app.add_typer(blacklist_app, name="blacklist")

URL_HELP = "SQLAlchemy URL; default: FANZHA_DATABASE_URL or the SQLite file"


@blacklist_app.command("import")
def import_cmd(
    path: Path = typer.Argument(..., exists=True, dir_okay=False,
                                help="police list (.csv in UTF-8 or GB18030/GBK, .xlsx, .parquet): "
                                     "id_no,name,case_no,decided_on,ban_years,keep_msisdn"),  # fmt: skip
    quarantine: Path = typer.Option(None, "--quarantine", help="where bad rows go; default: FILE.quarantine.csv beside it"),
    url: str = typer.Option(None, "--url", help=URL_HELP),
) -> None:
    """Validate and import; bad rows are written with their reason to the quarantine file. Re-running is safe."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from fanzha.casework.audit.service import chain_key
    from fanzha.casework.auth.principal import Principal
    from fanzha.casework.blacklist import flows
    from fanzha.casework.registry.sources import SourceError, count_rows
    from fanzha.db import engine_for, session_scope
    from fanzha.privacy import Protector

    settings = get_settings()
    try:
        total = count_rows(path)
    except SourceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    with Progress(TextColumn("导入"), BarColumn(), MofNCompleteColumn()) as bar, \
            session_scope(engine_for(url or settings.db_url)) as db:  # fmt: skip
        task = bar.add_task("rows", total=total)
        try:
            summary = flows.import_csv(db, key=chain_key(settings), protector=Protector.from_settings(settings),
                                       actor=Principal.system("cli:blacklist"), path=path, quarantine=quarantine,
                                       progress=lambda: bar.advance(task))  # fmt: skip
        except flows.BlacklistError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    typer.echo(f"rows {summary.rows}: added {summary.added}, already present {summary.already_present}, "
               f"expired on arrival {summary.expired_on_arrival}, quarantined {summary.quarantined}, "
               f"measures proposed {summary.measures_proposed}")  # fmt: skip
    for reason, n in sorted(summary.reasons.items()):
        typer.echo(f"  quarantined {reason}: {n}")
    if summary.ignored_columns:
        typer.echo(f"ignored unknown columns: {', '.join(summary.ignored_columns)}")
    if summary.quarantine_file:
        typer.echo(f"quarantine file: {summary.quarantine_file}")


@blacklist_app.command("expire")
def expire_cmd(url: str = typer.Option(None, "--url", help=URL_HELP)) -> None:
    """Mark bans whose time is up as expired (run daily; checks already ignore them from the end date)."""
    from fanzha.casework.audit.service import chain_key
    from fanzha.casework.auth.principal import Principal
    from fanzha.casework.blacklist import flows
    from fanzha.db import engine_for, session_scope

    settings = get_settings()
    with session_scope(engine_for(url or settings.db_url)) as db:
        n = flows.expire_due(db, key=chain_key(settings), actor=Principal.system("cli:blacklist"))
    typer.echo(f"expired {n} entr{'y' if n == 1 else 'ies'}")
