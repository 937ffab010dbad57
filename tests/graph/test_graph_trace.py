"""Association graph: edges from contract files, ranking with reasons, filters, persistence, CLI."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from fanzha.analytics.graph import Graph, build_edges, compile_graph, expand, resolve_seeds
from fanzha.analytics.graph.edges import _epoch
from fanzha.cli import app
from fanzha.config import get_settings
from fanzha.privacy import Protector

ID_A = "42120219900101123X"  # owns SEED and A2
SEED, A2, COUNTER, SHARED, CELLMATE, LONER = ("13300000001", "13300000002", "13300000003", "13300000004",
                                              "13300000005", "13300000006")


def _sub(msisdn, id_no, opened, shop="S9", clerk="K9"):
    return dict(msisdn=msisdn, line_type="mobile", id_no=id_no, owner_name="x", open_time=opened, shop_id=shop,
                clerk_id=clerk, status="active")


def _call(rid, msisdn, peer, when, cell, imei):
    return dict(record_id=rid, msisdn=msisdn, peer=peer, direction="out", start_time=when, duration_s=30,
                cell_id=cell, imei=imei)


@pytest.fixture
def files(tmp_path):
    subs = [
        _sub(SEED, ID_A, "2026-01-01T10:00:00+08:00", "S1", "K1"),
        _sub(A2, ID_A, "2025-06-01T10:00:00", "S2", "K2"),
        _sub(COUNTER, "421202199001021234", "2026-01-01T10:40:00+08:00", "S1", "K1"),  # same shop+clerk, 40 min
        _sub(SHARED, "421202199001031234", "2024-01-01T09:00:00+08:00", "S3", "K3"),
        _sub(CELLMATE, "421202199001041234", "2024-02-01T09:00:00+08:00", "S4", "K4"),
        _sub(LONER, "421202199001051234", "2026-01-01T16:00:00+08:00", "S1", "K1"),  # same clerk, 6 h later
    ]
    cdr = [
        _call("r1", SEED, "13900000000", "2026-03-01T10:00:00+08:00", "CELL1", "860000000000001"),
        _call("r2", SHARED, "13800000000", "2026-03-02T10:00:00+08:00", "CELL2", "860000000000001"),
        _call("r3", CELLMATE, "13700000000", "2026-03-03T10:00:00+08:00", "CELL1", "860000000000009"),
        _call("r4", LONER, "13600000000", "2026-03-03T11:00:00+08:00", "CELL7", "860000000000007"),
    ]
    pd.DataFrame(subs).to_csv(tmp_path / "subscribers.csv", index=False)
    (tmp_path / "cdr").mkdir()
    pd.DataFrame(cdr).to_csv(tmp_path / "cdr" / "day1.csv", index=False)
    return tmp_path


@pytest.fixture
def protector():
    return Protector.from_settings(get_settings())


@pytest.fixture
def graph(files, protector):
    nodes, edges = build_edges(subscribers=files / "subscribers.csv", cdr=files / "cdr", protector=protector)
    return compile_graph(nodes, edges)


def _seed(g, protector):
    ids, missing = resolve_seeds(g, [SEED], protector=protector)
    assert not missing
    return ids


def test_edges_built_from_contract_files(files, protector):
    nodes, edges = build_edges(subscribers=files / "subscribers.csv", cdr=files / "cdr", protector=protector)
    e = edges.to_pandas()
    assert (e.edge_type == "same_id").sum() == 6
    counter = e[e.edge_type == "counter"]
    assert {frozenset((r.src, r.dst)) for r in counter.itertuples()} == {frozenset(("L:" + SEED, "L:" + COUNTER))}
    assert json.loads(counter.evidence.iloc[0])["gap_s"] == 2400
    # IDs are never stored in clear: the person node carries the keyed hash and a masked label.
    n = nodes.to_pandas()
    assert not n.key.str.contains(ID_A).any() and "4212**********123X" in set(n.label)
    assert set(n[n.own].label) == {SEED, A2, COUNTER, SHARED, CELLMATE, LONER}


def test_ranking_and_reasons(graph, protector):
    res = expand(graph, _seed(graph, protector), top=10)
    t = res.table.set_index("msisdn")
    assert LONER not in t.index  # tied to nothing the seed touches
    assert {A2, COUNTER, SHARED, CELLMATE} <= set(t.index)
    # Specific ties (ID, handset, counter) outrank a shared cell.
    assert t.loc[CELLMATE, "rank"] == len(t)
    assert t.loc[A2, "edge_types"] == "same_id" and "同一证件" in t.loc[A2, "reasons"]
    assert "4212**********123X" in t.loc[A2, "reasons"] and ID_A not in t.loc[A2, "reasons"]
    # SHARED used SEED's handset the day after SEED: one shared device, and passed on card after card.
    assert t.loc[SHARED, "edge_types"] == "device device_seq" and "860000000000001" in t.loc[SHARED, "reasons"]
    assert "先后使用同一终端" in t.loc[SHARED, "reasons"]
    assert t.loc[CELLMATE, "edge_types"] == "cell"
    path = t.loc[COUNTER, "paths"][0]
    assert [e["edge_type"] for e in path] == ["counter"] and path[0]["evidence"]["shop_id"] == "S1"
    assert t["score"].is_monotonic_decreasing


def test_filters_by_edge_type_and_time(graph, protector):
    seed = _seed(graph, protector)
    only_id = expand(graph, seed, edge_types={"same_id"})
    assert only_id.table["msisdn"].tolist() == [A2]
    # Call-record ties are from March 2026: a range ending in February keeps only ID and counter ties.
    before = expand(graph, seed, until=_epoch("2026-02-01T00:00:00"))
    assert set(before.table["msisdn"]) == {A2, COUNTER}
    after = expand(graph, seed, since=_epoch("2026-02-01T00:00:00"))
    assert set(after.table["msisdn"]) == {SHARED, CELLMATE}


def test_saved_graph_gives_same_result(graph, protector, tmp_path):
    seed = _seed(graph, protector)
    loaded = Graph.load(graph.save(tmp_path / "g"))
    a, b = expand(graph, seed), expand(loaded, seed)
    assert a.table[["msisdn", "score", "reasons"]].equals(b.table[["msisdn", "score", "reasons"]])


def test_trace_cli_by_id_seed(files, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["graph", "build", "--subscribers", str(files / "subscribers.csv"),
                              "--cdr", str(files / "cdr"), "--out", str(tmp_path / "g")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["trace", ID_A, "--graph", str(tmp_path / "g"), "--out", str(tmp_path / "o"),
                              "--edge-type", "same_id", "--edge-type", "device"])
    assert res.exit_code == 0, res.output
    ranked = pd.read_csv(tmp_path / "o" / "ranked.csv", dtype={"msisdn": str})
    # From the ID itself both of its lines are reached first, then the line sharing SEED's handset.
    assert set(ranked["msisdn"][:2]) == {SEED, A2} and SHARED in set(ranked["msisdn"])
    sub = json.loads((tmp_path / "o" / "subgraph.json").read_text())
    assert any(n["seed"] and n["kind"] == "person" for n in sub["nodes"])
    assert {e["edge_type"] for e in sub["edges"]} == {"same_id", "device"}
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert ID_A not in json.dumps(summary)
    assert SEED[3:7] not in res.output.split("→")[0]  # terminal output masks numbers
    # The traceability report of the same expansion, masked, beside the tables.
    html = (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert (tmp_path / "o" / "report.pdf").read_bytes()[:5] == b"%PDF-"
    assert "溯源报告" in html and "4212**********123X" in html and ID_A not in html and SEED not in html
    assert "traceability report →" in res.output


def test_graph_build_publishes_where_the_web_app_reads(files, tmp_path, monkeypatch):
    from fanzha.analytics.graph.build import line_traffic
    from fanzha.config import reset_settings

    monkeypatch.setenv("FANZHA_GRAPH_DIR", str(tmp_path / "published"))
    reset_settings()
    res = CliRunner().invoke(app, ["graph", "build", "--subscribers", str(files / "subscribers.csv"),
                                   "--cdr", str(files / "cdr")])
    assert res.exit_code == 0, res.output
    g = Graph.load(tmp_path / "published")
    assert g.meta["calls"] == 4 and g.meta["data_since"].startswith("2026-03-01T02:00")
    assert line_traffic(tmp_path / "published", [SEED, LONER, "13999999999"]) == {
        SEED: [(1772330400, 1.0, 1.0)], LONER: [(1772506800, 1.0, 1.0)],
        "13999999999": []}
    # Rebuilding swaps the folder whole: no temporary folders are left beside it.
    assert CliRunner().invoke(app, ["graph", "build", "--subscribers", str(files / "subscribers.csv")]).exit_code == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".published")] == []
    assert Graph.load(tmp_path / "published").meta["calls"] == 0
