"""fanzha police …: the police desk from the shell (协查请求列表、线索批次创建/导出/核验、战果统计)."""

from __future__ import annotations

import shutil
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import typer

from fanzha.cli import app
from fanzha.config import get_settings

police_app = typer.Typer(help="警务协作 Police desk: query requests, clue batches, feedback statistics.",
                         no_args_is_help=True)  # fmt: skip
app.add_typer(police_app, name="police")
CST = timezone(timedelta(hours=8))


def _actor(name: str):
    """Whoever runs the CLI on the server acts as the operator's police-desk supervisor (audited under cli:<user>)."""
    import getpass

    from fanzha.casework.auth.enums import Role
    from fanzha.casework.auth.principal import Principal

    return Principal(user_id=None, username=f"cli:{getpass.getuser()}:{name}"[:64], roles=frozenset({Role.SUPERVISOR}),
                     via="cli")  # fmt: skip


def _table(title: str, columns: list[str], rows: list[list]) -> None:
    from rich.console import Console
    from rich.table import Table

    def cell(v) -> str:
        if isinstance(v, datetime):
            return (v if v.tzinfo else v.replace(tzinfo=timezone.utc)).astimezone(CST).strftime("%Y-%m-%d %H:%M")
        return "" if v is None else str(v)

    table = Table(title=title)
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*[cell(v) for v in r])
    console = Console()
    console.width = max(console.width, 140)  # keep batch numbers and hashes whole in pipes and logs
    console.print(table)


@police_app.command("queries")
def queries_cmd(status: str = typer.Option(None, help="pending | approved | refused"),
                limit: int = typer.Option(50, min=1, max=1000)) -> None:  # fmt: skip
    """协查请求 List query requests (subjects masked; results are shown only on the officer's page)."""
    from fanzha.casework.police import service
    from fanzha.db import get_engine, session_scope

    with session_scope(get_engine()) as db:
        rows = [[q.id, q.subject_masked, q.case_no, q.scopes_requested, q.requested_by, service.status_label(q),
                 q.decided_by, q.valid_until] for q in service.list_queries(db, status=status, limit=limit)]  # fmt: skip
    _table("协查请求 police queries", ["id", "对象", "案件编号", "范围", "申请人", "状态", "审批人", "有效期至"], rows)


@police_app.command("batches")
def batches_cmd() -> None:
    """线索批次 List clue batches with their feedback totals."""
    from fanzha.casework.police import clues
    from fanzha.db import get_engine, session_scope

    with session_scope(get_engine()) as db:
        rows = [[b.batch_no, b.title, b.recipient, b.line_count, b.status_label, b.exported_at, b.arrests,
                 b.devices_seized, b.cards_seized] for b in (clues.present(db, x) for x in clues.list_batches(db))]  # fmt: skip
    _table("线索批次 clue batches", ["编号", "标题", "接收单位", "号码", "状态", "导出", "抓获", "设备", "电话卡"], rows)


@police_app.command("create-batch")
def create_cmd(
    title: str = typer.Option(..., help="标题"), recipient: str = typer.Option(..., help="接收单位"),
    case: list[int] = typer.Option([], "--case", help="case id (repeatable)"),
    simbank: list[int] = typer.Option([], "--simbank", help="simbox alert id of a SIM-bank group (repeatable)"),
    msisdn: list[str] = typer.Option([], "--msisdn", help="a line of this operator (repeatable)"),
    note: str = typer.Option("", help="说明"),
) -> None:
    """Assemble a clue batch (numbered XS-<year>-<n>) from cases, SIM-bank groups and numbers."""
    from fanzha.casework.context import work_context
    from fanzha.casework.police import clue_flows
    from fanzha.casework.police.clues import ClueError
    from fanzha.casework.police.schemas import BatchRequest
    from fanzha.db import get_engine, session_scope

    body = BatchRequest(title=title, recipient=recipient, note=note, case_ids=case, simbank_alert_ids=simbank,
                        msisdns=msisdn)  # fmt: skip
    try:
        with session_scope(get_engine()) as db:
            b = clue_flows.create(db, key=work_context().key, actor=_actor("create-batch"), body=body)
            typer.echo(f"{b.batch_no}: {b.line_count} lines (draft; export with `fanzha police export {b.batch_no}`)")
    except ClueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@police_app.command("export")
def export_cmd(
    batch_no: str = typer.Argument(..., help="e.g. XS-2026-0001"),
    out: Path = typer.Option(None, "--out", file_okay=False, help="also copy the package zip into this folder"),
) -> None:
    """Write the batch's package (CSV, XLSX, PDF summary, manifest with SHA-256, zip); idempotent."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from fanzha.casework.context import work_context
    from fanzha.casework.police import clue_flows, clues
    from fanzha.casework.police.clues import ClueError
    from fanzha.db import get_engine, session_scope

    settings = get_settings()
    try:
        with Progress(SpinnerColumn(), TextColumn("导出 {task.description}")) as bar, \
                session_scope(get_engine()) as db:  # fmt: skip
            bar.add_task(batch_no)
            b = clues.by_number(db, batch_no=batch_no)
            if b is None:
                raise ClueError(f"no batch {batch_no}")
            b = clue_flows.export(db, key=work_context(settings).key, actor=_actor("export"), batch_id=b.id,
                                  home=settings.home)  # fmt: skip
            files = [(f.name, f.bytes, f.sha256) for f in clues.batch_files(db, batch_id=b.id)]
            folder = settings.home / b.folder
    except ClueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    _table(f"{batch_no} → {folder}", ["file", "bytes", "sha256"], [list(f) for f in files])
    if out:
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / f"{b.batch_no}.zip", out / f"{b.batch_no}.zip")
        typer.echo(f"copied {out / (b.batch_no + '.zip')}")


@police_app.command("verify")
def verify_cmd(path: Path = typer.Argument(..., exists=True, help="package folder or its zip")) -> None:
    """Check every file of a package against the SHA-256 in its manifest (exit 1 if any differs)."""
    from fanzha.casework.police.exports import verify_manifest

    res = verify_manifest(path)
    for p in res.problems:
        typer.echo(f"FAIL {p}")
    typer.echo(f"{'OK' if res.ok else 'FAILED'}: {res.checked} files checked")
    if not res.ok:
        raise typer.Exit(1)


def _day(value: str, *, end: bool = False) -> datetime:
    d = date.fromisoformat(value)
    return datetime.combine(d + timedelta(days=1) if end else d, time(), tzinfo=CST)


@police_app.command("stats")
def stats_cmd(since: str = typer.Option(..., help="first day, YYYY-MM-DD (China Standard Time)"),
              until: str = typer.Option(..., help="last day, included")) -> None:  # fmt: skip
    """Query requests, clue batches handed over and the police's feedback in the period."""
    from fanzha.casework.police.service import clue_stats, query_stats
    from fanzha.db import get_engine, session_scope

    try:
        start, end = _day(since), _day(until, end=True)
    except ValueError:
        raise typer.BadParameter("dates must be YYYY-MM-DD") from None
    with session_scope(get_engine()) as db:
        q, c = query_stats(db, since=start, until=end), clue_stats(db, since=start, until=end)
    _table(f"警务协作 {since} – {until}", ["what", "count"], [
        ["协查请求 queries", q.requests], ["已批准 approved", q.approved], ["已拒绝 refused", q.refused],
        ["待审批 pending", q.pending], ["移交批次 batches", c.batches], ["移交号码 lines sent", c.lines_sent],
        ["抓获 arrests", c.arrests], ["缴获设备 devices", c.devices], ["缴获电话卡 cards", c.cards]])  # fmt: skip
