"""fanzha graph build / fanzha trace: association graph and expansion from seeds (溯源拓展)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer

from fanzha.cli import app
from fanzha.config import get_settings

graph_app = typer.Typer(help="关联图 Association graph for tracing: build it from subscribers and call records.",
                        no_args_is_help=True)
app.add_typer(graph_app, name="graph")

EDGE_HELP = "edge types to follow (repeat): same_id, device, counter, contact, cell; default all"


def _build(subscribers: Path, cdr: Path | None, since: str | None, until: str | None, window_min: int,
           out: Path | None = None):
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from fanzha.analytics.graph.build import build_graph
    from fanzha.privacy import Protector

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()) as progress:
        task = progress.add_task("starting …", total=None)
        g = build_graph(subscribers=subscribers, cdr=cdr, protector=Protector.from_settings(get_settings()),
                        since=since, until=until, counter_window_s=window_min * 60, out=out,
                        step=lambda msg: progress.update(task, description=msg + " …"))
        progress.update(task, description=f"{g.n_nodes:,} nodes, {g.n_edges:,} edges")
    return g


@graph_app.command("build")
def graph_build(
    subscribers: Path = typer.Option(..., exists=True, help="subscribers file or folder (data contract)"),
    cdr: Path = typer.Option(None, exists=True, help="voice CDR file, folder or Parquet store"),
    out: Path = typer.Option(None, help="graph folder to write (default: FANZHA_GRAPH_DIR, else FANZHA_HOME/graph, "
                                         "where the web app reads it)"),
    since: str = typer.Option(None, help="use call records from this time (ISO 8601; no offset = +08:00)"),
    until: str = typer.Option(None, help="use call records up to this time"),
    counter_window_min: int = typer.Option(120, help="same shop and clerk within this many minutes = counter edge"),
) -> None:
    """构建关联图 — build the association graph (lines, IDs, devices, cells, contacts, counters) and save it."""
    out = out or get_settings().graph_path
    g = _build(subscribers, cdr, since, until, counter_window_min, out=out)
    typer.echo(f"{g.n_nodes:,} nodes, {g.n_edges:,} edges → {out}")


@app.command("trace")
def trace(
    seeds: list[str] = typer.Argument(..., help="seed numbers or 18-character ID numbers"),
    out: Path = typer.Option(..., help="folder for ranked.csv, subgraph.json, summary.json, report.html, report.pdf"),
    graph: Path = typer.Option(None, help="graph folder from `fanzha graph build` (default: FANZHA_GRAPH_DIR)"),
    subscribers: Path = typer.Option(None, exists=True, help="build the graph on the fly: subscribers file"),
    cdr: Path = typer.Option(None, exists=True, help="build the graph on the fly: CDR file, folder or store"),
    edge_type: list[str] = typer.Option(None, "--edge-type", help=EDGE_HELP),
    since: str = typer.Option(None, help="only ties active from this time (ISO 8601)"),
    until: str = typer.Option(None, help="only ties active up to this time (ISO 8601)"),
    hops: int = typer.Option(None, help="walk steps from the seeds (default 4; 2 = direct 2-hop neighbourhood)"),
    top: int = typer.Option(50, help="lines in the ranked list"),
    all_numbers: bool = typer.Option(False, help="also rank other carriers' numbers (default: own lines only)"),
    report: bool = typer.Option(True, help="also write the traceability report (report.html, report.pdf)"),
    case: str = typer.Option(None, help="case number printed on the report"),
) -> None:
    """溯源拓展 — rank the lines tied to the seeds, with the reason for each link."""
    from fanzha.analytics.graph import EDGE_TYPES, Graph, expand, resolve_seeds
    from fanzha.analytics.graph.edges import _epoch
    from fanzha.analytics.graph.expand import DEFAULT_HOPS
    from fanzha.privacy import Protector, mask_id, mask_msisdn

    def masked(seed: str) -> str:
        return mask_id(seed) if len(seed.strip()) == 18 else mask_msisdn(seed)

    for t in edge_type or []:
        if t not in EDGE_TYPES:
            raise typer.BadParameter(f"unknown edge type {t!r}; one of {', '.join(EDGE_TYPES)}")
    if subscribers is not None and graph is None:
        g = _build(subscribers, cdr, None, None, 120)
    else:
        graph = graph or get_settings().graph_path
        if not (graph / "graph.json").is_file():
            raise typer.BadParameter(f"no graph at {graph}: run `fanzha graph build`, or give --subscribers (and --cdr)")
        g = Graph.load(graph)
    protector = Protector.from_settings(get_settings())
    ids, missing = resolve_seeds(g, seeds, protector=protector)
    if not ids:
        raise typer.BadParameter(f"no seed is in the graph: {', '.join(masked(s) for s in missing)}")
    params = {"hops": hops or DEFAULT_HOPS, "top": top, "edge_types": sorted(edge_type) if edge_type else None,
              "since": since, "until": until, "own_only": not all_numbers}
    res = expand(g, ids, hops=params["hops"], top=top, edge_types=set(edge_type) if edge_type else None,
                 since=_epoch(since), until=_epoch(until), own_only=not all_numbers)
    out.mkdir(parents=True, exist_ok=True)
    table = res.table.drop(columns=["node_id"]).copy()
    table["evidence"] = [json.dumps(p, ensure_ascii=False, default=str) for p in table.pop("paths")]
    table.to_csv(out / "ranked.csv", index=False)
    (out / "subgraph.json").write_text(json.dumps(res.subgraph(), ensure_ascii=False, default=str, indent=1))
    summary = {"seeds": [g.labels[i].as_py() for i in ids], "seeds_not_found": [masked(s) for s in missing], "params": params,
               "method": "truncated personalised random walk over typed edges (fanzha.analytics.graph.expand)",
               "graph": {"nodes": g.n_nodes, "edges": g.n_edges}, "ranked": len(table)}
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    for row in table.head(10).itertuples():
        typer.echo(f"{row.rank:3d}  {mask_msisdn(row.msisdn)}  {row.score:.4f}  {row.edge_types}")
    typer.echo(f"{len(table)} linked lines → {out / 'ranked.csv'}")
    if report:
        _report(g, seeds, graph, out, params, case)


def _report(g, seeds: list[str], graph: Path | None, out: Path, params: dict, case: str | None) -> None:
    """The traceability report of the same expansion, as the web app makes it (masked, with charts and picture)."""
    import getpass

    from fanzha.analytics.graph.edges import _epoch
    from fanzha.casework.tracing import report, service
    from fanzha.privacy import Protector

    def when(value: str | None):
        return None if value is None else datetime.fromtimestamp(_epoch(value), UTC)

    settings = get_settings()
    p = service.TraceParams(edge_types=tuple(params["edge_types"] or ()), since=when(params["since"]),
                            until=when(params["until"]), hops=params["hops"], top=params["top"])
    result = service.trace(g, seeds, params=p, protector=Protector.from_settings(settings))
    charts = service.charts(graph or out, settings.record_stores, result["ranked"], height=110)
    data = report.report_data(result, charts=charts, generated_by=getpass.getuser(), case_label=case or "未立案",
                              run_label="命令行 fanzha trace")
    html, pdf = report.write_files(data, out)
    typer.echo(f"traceability report → {html}, {pdf}")
