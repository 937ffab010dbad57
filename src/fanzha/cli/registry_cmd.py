"""fanzha load / keys / id / number: the registry's commands."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from fanzha.cli import app
from fanzha.config import get_settings

keys_app = typer.Typer(help="密钥 Keys for personal data at rest (keyed hash and encryption).", no_args_is_help=True)
id_app = typer.Typer(help="身份证 Resident ID numbers: check and explain one.", no_args_is_help=True)
number_app = typer.Typer(help="号码 Phone numbers: kind, carrier, city.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(id_app, name="id")
app.add_typer(number_app, name="number")


@app.command("load")
def load(
    subscribers: Path = typer.Option(None, "--subscribers", help="subscribers file (.csv in UTF-8 or GB18030/GBK, .xlsx, .parquet) or folder"),
    cells: Path = typer.Option(None, "--cells", help="cells file (.csv, .xlsx, .parquet) or folder"),
    url: str = typer.Option(None, "--url", help="SQLAlchemy URL; default: FANZHA_DATABASE_URL or the SQLite file"),
    workers: int = typer.Option(None, "--workers", help="processes for hashing/encryption (default: by input size)"),
    migrate: bool = typer.Option(True, "--migrate/--no-migrate", help="apply database migrations first"),
) -> None:
    """装载登记数据 — load subscriber and cell files into the registry (bulk, idempotent, quarantines bad rows)."""
    from fanzha.casework.registry.load import load_cells, load_subscribers
    from fanzha.casework.registry.sources import SourceError
    from fanzha.migrate import upgrade

    if subscribers is None and cells is None:
        raise typer.BadParameter("give --subscribers and/or --cells")
    settings = get_settings()
    target = url or settings.db_url
    if migrate:
        upgrade(target)
    results = []
    try:
        if cells is not None:
            results.append(load_cells(cells, url=target, settings=settings))
        if subscribers is not None:
            results.append(load_subscribers(subscribers, url=target, settings=settings, workers=workers))
    except SourceError as exc:  # wrong type or encoding: the file is not loaded at all
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    console = Console()
    table = Table(title="load summary 装载汇总")
    for col in ("file", "read", "loaded", "unchanged", "quarantined", "seconds", "rows/s"):
        table.add_column(col, justify="left" if col == "file" else "right")
    for r in results:
        table.add_row(r.kind, f"{r.read:,}", f"{r.loaded:,}", f"{r.unchanged:,}", f"{r.quarantined:,}",
                      f"{r.seconds:.1f}", f"{r.rows_per_second:,.0f}")
    console.print(table)
    for r in results:
        if r.kind == "subscribers":
            console.print(f"persons: {r.persons_new:,} new, {r.persons_updated:,} updated; "
                          f"shops: {r.shops_new:,} new; clerks: {r.clerks_new:,} new")
        if r.quarantine_path:
            why = ", ".join(f"{k} {v:,}" for k, v in r.reasons.most_common())
            console.print(f"[yellow]{r.kind}: {r.quarantined:,} rows quarantined ({why}) → {r.quarantine_path}")


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new FANZHA_HASH_KEY and FANZHA_DATA_KEY (put them in the environment or fanzha.toml)."""
    import secrets

    from cryptography.fernet import Fernet

    typer.echo(f"FANZHA_HASH_KEY={secrets.token_urlsafe(32)}")
    typer.echo(f"FANZHA_DATA_KEY={Fernet.generate_key().decode()}")


@id_app.command("check")
def id_check(number: str = typer.Argument(..., help="18-character resident ID number")) -> None:
    """Validate an ID number and show what it encodes (the number itself is shown masked)."""
    from fanzha.ids import IdError, parse_id
    from fanzha.privacy import mask_id

    try:
        rid = parse_id(number)
    except IdError as exc:
        typer.echo(f"{mask_id(number)}: invalid — {exc}", err=True)
        raise typer.Exit(1) from None
    d = rid.division
    typer.echo(f"{mask_id(rid.number)}: valid")
    typer.echo(f"  division  {d.code} {rid.division_name}" + (" (historical code)" if rid.is_historical_division else ""))
    typer.echo(f"  born      {rid.birth_date:%Y-%m-%d} (age {rid.age()})")
    typer.echo(f"  sex       {'male 男' if rid.sex == 'M' else 'female 女'}")


@number_app.command("info")
def number_info(number: str = typer.Argument(..., help="phone number: mobile, fixed with area code, +international, service")) -> None:
    """Show a phone number's kind, carrier and city."""
    from fanzha.numbers import NumberError, parse_number

    try:
        p = parse_number(number)
    except NumberError as exc:
        typer.echo(f"invalid — {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{p.number}: {p.kind}")
    for label, value in (("carrier", p.carrier and f"{p.carrier} {p.carrier_zh or ''}".strip()),
                         ("area code", p.area_code), ("city", p.city and f"{p.city} ({p.city_en})"),
                         ("E.164", p.e164)):
        if value:
            typer.echo(f"  {label:<10}{value}")
