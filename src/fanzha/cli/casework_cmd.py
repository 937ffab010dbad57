"""fanzha alerts / orders / labels / cases …: the casework commands (告警导入、处置指令重试、训练标签导出)."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from fanzha.cli import app
from fanzha.config import get_settings

alerts_app = typer.Typer(help="告警 Alerts: import detector output into the inbox.", no_args_is_help=True)
orders_app = typer.Typer(help="处置指令 Measure orders to the BSS: list, retry.", no_args_is_help=True)
labels_app = typer.Typer(help="训练标签 Labels from appeal and review outcomes.", no_args_is_help=True)
cases_app = typer.Typer(help="案件 Cases: line classes that need 三级稽核.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
app.add_typer(orders_app, name="orders")
app.add_typer(labels_app, name="labels")
app.add_typer(cases_app, name="cases")


def _actor(name: str):
    import getpass

    from fanzha.casework.auth.principal import Principal

    return Principal.system(f"cli:{getpass.getuser()}:{name}")


@alerts_app.command("import")
def import_cmd(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="alerts.csv written by `fanzha detect`"),
    dispatch: bool = typer.Option(True, help="send auto-suspension orders to the BSS right after the import"),
) -> None:
    """Import alerts (idempotent by alert_id): merge by subject, group into cases, auto-suspend above the
    threshold (FANZHA_AUTO_SUSPEND_SCORE). Bad rows go to a quarantine file, never silently dropped."""
    from rich.progress import Progress

    from fanzha.casework.alerts.importer import count_rows, import_alerts
    from fanzha.casework.measures.dispatch import dispatch_orders
    from fanzha.db import get_engine

    settings = get_settings()
    total = count_rows(path)
    with Progress() as bar:
        task = bar.add_task("导入告警 importing alerts", total=total)
        summary = import_alerts(get_engine(), path=path, actor=_actor("alerts-import"), settings=settings,
                                progress=lambda n: bar.advance(task, n))  # fmt: skip
    typer.echo(f"rows {summary.rows}: imported {summary.imported}, already there {summary.duplicates}, "
               f"merged {summary.merged}, cases {len(summary.cases)}, auto-suspend orders {summary.orders}, "
               f"quarantined {sum(summary.quarantined.values())}")  # fmt: skip
    for reason, n in summary.quarantined.most_common():
        typer.echo(f"  quarantined {n}: {reason}")
    if summary.quarantine_file:
        typer.echo(f"quarantine file: {summary.quarantine_file}")
    if dispatch and summary.orders:
        result = dispatch_orders(get_engine(), settings=settings)
        typer.echo(f"orders sent {result.sent}, failed {result.failed}")


@orders_app.command("retry")
def retry_cmd(
    failed: bool = typer.Option(False, "--failed", help="also retry orders that exhausted their automatic retries"),
    watch: float = typer.Option(0.0, "--watch", help="keep running, dispatching due orders every N seconds"),
) -> None:
    """Send every due order: pending ones (e.g. left by a crash), retries whose backoff has passed, and stale
    claims. Idempotent: the BSS receives the same order key again and ignores a repeat."""
    from fanzha.casework.measures.dispatch import dispatch_orders
    from fanzha.db import get_engine

    settings = get_settings()
    while True:
        result = dispatch_orders(get_engine(), settings=settings, include_failed=failed)
        typer.echo(f"sent {result.sent}, failed {result.failed}, waiting behind earlier orders {result.waiting}")
        for err in result.errors:
            typer.echo(f"  {err}", err=True)
        if watch <= 0:
            if result.failed:
                raise typer.Exit(1)
            return
        time.sleep(watch)


@orders_app.command("list")
def list_cmd(
    status: str = typer.Option(None, help="only this status: pending, sending, retrying, done, failed"),
    limit: int = typer.Option(50, help="newest N orders"),
) -> None:
    """Orders, newest first (numbers masked)."""
    from sqlalchemy import select

    from fanzha.casework.measures.models import MeasureOrder
    from fanzha.db import get_engine, session_scope
    from fanzha.privacy import mask_msisdn

    with session_scope(get_engine()) as db:
        stmt = select(MeasureOrder).order_by(MeasureOrder.id.desc()).limit(limit)
        if status:
            stmt = stmt.where(MeasureOrder.status == status)
        for o in db.execute(stmt).scalars():
            typer.echo(f"{o.id}\t{o.order_key}\t{mask_msisdn(o.msisdn)}\t{o.measure}\t{o.status}\t"
                       f"attempts={o.attempts}\t{o.last_error or ''}")  # fmt: skip


@labels_app.command("export")
def labels_export(out: Path = typer.Option(..., "--out", help="labels.csv to write (msisdn,label,since,outcome)")) -> None:
    """Export training labels from casework outcomes: upheld appeals and dismissed cases → normal; rejected
    appeals → the detector's label (fraud_caller, simbox, resold, mule); outcome = false_positive | confirmed."""
    from fanzha.casework.appeals.labels import export_labels
    from fanzha.db import get_engine, session_scope

    with session_scope(get_engine()) as db:
        n = export_labels(db, path=out)
    typer.echo(f"{n} labels written to {out}")


@cases_app.command("line-class")
def line_class(
    msisdn: str = typer.Argument(..., help="the line"),
    account_class: str = typer.Argument(..., help="enterprise, government, or personal (removes the mark)"),
    note: str = typer.Option(None, help="free note, e.g. the customer contract"),
) -> None:
    """Mark a line as enterprise or government (政企): any measure on it then needs 三级稽核 (L3)."""
    from fanzha.casework.audit.service import chain_key, record
    from fanzha.casework.measures.models import LineClass
    from fanzha.db import get_engine, session_scope

    if account_class not in ("enterprise", "government", "personal"):
        raise typer.BadParameter("enterprise, government or personal")
    with session_scope(get_engine()) as db:
        record(db, key=chain_key(get_settings()), actor=_actor("line-class"), action="line.class", subject_type="line",
               subject_id=msisdn, detail={"class": account_class})  # fmt: skip
        row = db.get(LineClass, msisdn)
        if account_class == "personal":
            if row is not None:
                db.delete(row)
        elif row is None:
            db.add(LineClass(msisdn=msisdn, account_class=account_class, note=note))
        else:
            row.account_class, row.note = account_class, note
    typer.echo("ok")
