"""The demo job: synthetic province → registry database → detection → evaluation → association graph → demo
accounts → the casework week replayed (inbox, 三级稽核, orders, appeals: ``fanzha.demo_casework``).
``fanzha demo`` then serves the pages with the dashboard populated (``--no-serve`` stops before).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rich.console import Console
from rich.table import Table

from fanzha.config import Settings

STEPS = 11


def run_demo(*, settings: Settings, lines: int, days: int, seed: int, out: Path) -> dict:
    from fanzha.analytics.detectors.output import read_alerts
    from fanzha.analytics.evaluate import evaluate, metrics_table, read_labels
    from fanzha.analytics.ingest import ingest
    from fanzha.analytics.pipeline import run_detect
    from fanzha.casework.auth.flows import setup_demo_accounts
    from fanzha.casework.market.demo import run_public_desk_demo
    from fanzha.casework.police.demo import run_police_demo
    from fanzha.casework.registry.load import load_cells, load_subscribers
    from fanzha.cli.user_cmd import print_accounts
    from fanzha.demo_casework import replay_week
    from fanzha.demo_monitor import run_monitor_demo
    from fanzha.migrate import upgrade
    from fanzha.sim import simulate

    console = Console()
    console.width = max(console.width, 130)  # keep tables whole in narrow terminals and logs
    console.rule("[bold]fanzha 反诈 demo")
    # The simulated week ends at today's midnight (China Standard Time): the dashboard shows "the last days".
    start = datetime.now(timezone(timedelta(hours=8))).date() - timedelta(days=days)
    console.print(f"1/{STEPS} 生成合成省份 synthetic province: {lines} lines, {days} days from {start}, seed {seed} → {out}")
    sim_summary = simulate(lines=lines, days=days, seed=seed, out=out, start=start, progress=True)
    console.print(f"2/{STEPS} 数据库迁移 migrating {settings.db_url}")
    upgrade(settings.db_url)
    console.print(f"3/{STEPS} 装载登记数据与话单 loading subscribers and cells; the week's call records into the store "
                  f"(case pages, tracing and police queries read them) → {settings.record_stores[0]}")
    cells = load_cells(out / "cells.csv", url=settings.db_url)
    subs = load_subscribers(out / "subscribers.csv", url=settings.db_url, settings=settings)
    stored = ingest(store=settings.record_stores[0], cdr=out / "cdr", sms=out / "sms")
    detect_dir = out.parent / "detect"
    console.print(f"4/{STEPS} 话单检测 detecting fraud callers, SIM banks, cell anomalies, resold cards → {detect_dir}")
    detect_summary = run_detect(cdr=out / "cdr", sms=out / "sms", subscribers=out / "subscribers.csv",
                                cells=out / "cells.csv", out=detect_dir)  # fmt: skip
    console.print(f"5/{STEPS} 对照真值评估 evaluating the alerts against the simulator's ground truth")
    metrics = evaluate(read_alerts(detect_dir / "alerts.csv"), read_labels(out / "labels.csv"))
    console.print(f"6/{STEPS} 关联图 association graph for tracing (溯源) → {settings.graph_path}")
    graph = _graph(settings, out)
    console.print(f"7/{STEPS} 演示账号 demo accounts (one per role)")
    accounts = setup_demo_accounts(settings=settings)
    console.print(f"8/{STEPS} 工作台一周回放 the week replayed on the casework clock: hourly alert batches into the "
                  "inbox (merged, grouped into cases, auto-suspension), 三级稽核 by the demo reviewers, orders, appeals")
    with _bar(console, "告警批次 alert batches") as bar:
        inbox, review = replay_week(settings=settings, alerts_csv=detect_dir / "alerts.csv",
                                    labels_csv=out / "labels.csv", seed=seed, progress=bar)  # fmt: skip
    # The police blacklist the simulator wrote, through the import `fanzha blacklist import` runs: the counter
    # refuses a banned person from the first check, and the bans' shutdown proposals reach the review.
    bans = import_blacklist(settings=settings, path=out / "blacklist.csv")
    console.print(f"   惩戒名单 police blacklist: {bans.added:,} bans imported, {bans.quarantined:,} quarantined")
    console.print(f"9/{STEPS} 警务协作 a police query (approved) and a clue batch exported with police feedback")
    police = run_police_demo(settings=settings)
    console.print(f"10/{STEPS} 公众举报与市场监管线索 12321 reports and market-regulation tips; one consumer warning")
    desk = run_public_desk_demo(settings, out)
    console.print(f"11/{STEPS} 实时监测 the last day's call records arrive as mediation drops and go through the 24×7 monitor")
    monitor = run_monitor_demo(settings, out)

    table = Table(title="summary 汇总")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key, value in sim_summary.items():
        if isinstance(value, int):
            table.add_row(f"sim: {key}", f"{value:,}")
    for name, res in (("cells", cells), ("subscribers", subs)):
        table.add_row(f"load {name}: loaded", f"{res.loaded:,}")
        table.add_row(f"load {name}: quarantined", f"{res.quarantined:,}")
    for kind, ks in stored.kinds.items():
        table.add_row(f"store {kind}: stored / quarantined", f"{ks.rows_stored:,} / {ks.rows_quarantined:,}")
    for det, n in sorted(detect_summary["alerts_by_detector"].items()):
        table.add_row(f"alerts: {det}", f"{n:,}")
    table.add_row("detect: seconds", f"{detect_summary['seconds']:.0f}")
    table.add_row("casework: alert batches replayed", f"{inbox.batches:,}")
    table.add_row("casework: cases opened", f"{len(inbox.cases):,}")
    table.add_row("casework: auto-suspension orders", f"{inbox.orders:,}")
    for label, n in (("approved (L2/L3)", review.approved), ("sent to L3", review.escalated_l3),
                     ("dismissed at L1", review.dismissed), ("left open", review.left_open),
                     ("orders sent", review.orders_sent)):  # fmt: skip
        table.add_row(f"review: {label}", f"{n:,}")
    for masked, status in review.appeals.items():
        table.add_row(f"appeal {masked}", status)
    table.add_row("blacklist: imported / quarantined", f"{bans.added:,} / {bans.quarantined:,}")
    table.add_row("graph: nodes / edges", f"{graph.n_nodes:,} / {graph.n_edges:,}")
    table.add_row("police: query approved", f"#{police.query_id} {police.query_subject}" if police.query_id else "-")
    table.add_row("police: clue batch", f"{police.batch_no}: {police.batch_lines:,} lines" if police.batch_no else "-")
    for name, res in (("12321 reports", desk["reports"]), ("market tips", desk["tips"])):
        table.add_row(f"{name}: imported", f"{res.added:,}")
        table.add_row(f"{name}: quarantined", f"{sum(res.quarantined.values()):,}")
        table.add_row(f"{name}: alerts raised", f"{res.alerts:,}")
    table.add_row("monitor: files / rows", f"{monitor.files:,} / {monitor.rows:,}")
    table.add_row("monitor: alerts / people warned", f"{monitor.alerts:,} / {monitor.warnings:,}")
    if monitor.lag_p50_s is not None:
        table.add_row("monitor: lag arrival→alert, median", f"{monitor.lag_p50_s:.1f} s")
    console.print(table)
    console.print(metrics_table(metrics, title="检测质量 detection quality vs the simulator's ground truth"))
    print_accounts(accounts)
    return {"sim": sim_summary, "cells": cells, "subscribers": subs, "detect": detect_summary, "metrics": metrics,
            "inbox": inbox, "review": review, "blacklist": bans, "accounts": accounts, "police": police, "public_desk": desk,
            "monitor": monitor, "store": stored.to_dict(),
            "graph": {"nodes": graph.n_nodes, "edges": graph.n_edges, "path": str(settings.graph_path)}}


def import_blacklist(*, settings: Settings, path: Path):
    """The simulator's blacklist.csv into 惩戒名单 with blacklist.flows.import_csv (the CLI's import)."""
    from fanzha.casework.audit.service import chain_key
    from fanzha.casework.auth.principal import Principal
    from fanzha.casework.blacklist import flows
    from fanzha.db import engine_for, session_scope
    from fanzha.privacy import Protector

    with session_scope(engine_for(settings.db_url)) as db:
        return flows.import_csv(db, key=chain_key(settings), protector=Protector.from_settings(settings),
                                actor=Principal.system("demo:blacklist"), path=path)  # fmt: skip


def _graph(settings: Settings, out: Path):
    """The graph the tracing page reads (FANZHA_GRAPH_DIR, default FANZHA_HOME/graph)."""
    from fanzha.analytics.graph.build import build_graph
    from fanzha.privacy import Protector

    return build_graph(subscribers=out / "subscribers.csv", cdr=out / "cdr", protector=Protector.from_settings(settings),
                       out=settings.graph_path)


class _Bar:
    """The demo steps' progress reporter (``total(n)``, ``advance()``) on a rich progress bar."""

    def __init__(self, progress, task) -> None:
        self.progress, self.task = progress, task

    def total(self, n: int) -> None:
        self.progress.update(self.task, total=n)

    def advance(self, n: int = 1) -> None:
        self.progress.advance(self.task, n)


@contextmanager
def _bar(console: Console, label: str) -> Iterator[_Bar]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as progress:  # fmt: skip
        yield _Bar(progress, progress.add_task(label, total=None))
