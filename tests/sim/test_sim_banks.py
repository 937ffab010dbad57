"""SIM-bank tactics and crowds in the simulator (fanzha.sim.tactics_banks), each checked from the
written files: what a detector will see."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import networkx as nx
import pytest

from fanzha.sim import generate, simulate
from fanzha.sim.devices import GATEWAY_TACS
from fanzha.sim.realism import bank_tactics
from fanzha.sim.tactics import by_family
from helpers import BANK_TACTICS_TOML

BANKS = [t.name for t in by_family("simbox")]


@pytest.fixture(scope="module")
def province(build_once, tmp_path_factory) -> Path:
    cfg = tmp_path_factory.mktemp("banks-cfg") / "tactics.toml"
    cfg.write_text(BANK_TACTICS_TOML)
    out, _ = build_once("banks-small", lambda out: simulate(lines=3000, days=4, seed=11, out=out, config=cfg,
                                                            workers=1))
    return out


@pytest.fixture(scope="module")
def db(province):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    con.execute(f"CREATE VIEW labels AS SELECT * FROM read_csv('{province}/labels.csv', all_varchar = true)")
    con.execute(f"CREATE VIEW cells AS SELECT cell_id, lat::DOUBLE lat, lon::DOUBLE lon FROM "
                f"read_csv('{province}/cells.csv', all_varchar = true)")
    con.execute(f"""CREATE TABLE cdr AS SELECT msisdn, peer, direction, start_time::TIMESTAMPTZ ts,
                    NULLIF(cell_id, '') cell_id, NULLIF(imei, '') imei
                    FROM read_csv('{province}/cdr/*.csv', all_varchar = true)""")
    # Member records from `since` on, with the bank (ring) and the tactic.
    con.execute("""CREATE TABLE m AS SELECT c.*, l.scenario kind, l.ring_id ring, hour(c.ts) hr,
                   date_trunc('hour', c.ts) h FROM cdr c JOIN labels l USING (msisdn)
                   WHERE l.label = 'simbox' AND c.ts >= l.since::TIMESTAMPTZ""")
    yield con
    con.close()


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_every_tactic_makes_whole_labelled_banks(db):
    got = rows(db, """SELECT scenario, count(DISTINCT ring_id), count(*), count(since), count(ring_id)
                      FROM labels WHERE scenario LIKE 'bank_%' AND label = 'simbox' GROUP BY 1""")
    assert {r[0] for r in got} == set(BANKS)
    for kind, banks, lines, since, ring in got:
        assert banks >= 1 and lines == 30 and since == ring == lines, kind
    # The card sellers' own phones go with their bank, as for every SIM bank.
    assert {r[0] for r in rows(db, "SELECT DISTINCT label FROM labels WHERE scenario LIKE 'bank_%'")} == {"simbox", "mule"}
    # A bank is one tactic; its members all work (have records after `since`).
    assert rows(db, """SELECT max(n) FROM (SELECT ring_id, count(DISTINCT scenario) n FROM labels
                       WHERE ring_id IS NOT NULL GROUP BY 1)""")[0][0] == 1
    assert rows(db, "SELECT count(*) FROM cdr c JOIN labels l USING (msisdn) WHERE l.scenario = 'crowd' "
                    "AND (l.label <> 'normal' OR l.ring_id IS NOT NULL)")[0][0] == 0


def test_moving_banks_change_cell_together(db):
    # Per bank and hour, the members' modal cell: shared by (nearly) all of them, and it moves.
    hourly = rows(db, """WITH c AS (SELECT ring, h, cell_id, count(DISTINCT msisdn) n FROM m
                           WHERE kind = 'bank_moving' GROUP BY 1, 2, 3),
                         a AS (SELECT ring, h, count(DISTINCT msisdn) n FROM m WHERE kind = 'bank_moving' GROUP BY 1, 2)
                         SELECT ring, h, arg_max(c.cell_id, c.n), max(c.n) / any_value(a.n), any_value(a.n)
                         FROM c JOIN a USING (ring, h) GROUP BY 1, 2 ORDER BY 1, 2""")
    by_ring: dict[str, list] = {}
    for ring, _, cell, share, n in hourly:
        if n >= 2:
            by_ring.setdefault(ring, []).append((cell, share))
    assert by_ring
    for ring, seq in by_ring.items():
        cells = [c for c, _ in seq]
        changes = sum(a != b for a, b in zip(cells, cells[1:]))
        assert changes >= 4, ring
        assert len(set(cells)) >= 3, ring
        assert sum(s for _, s in seq) / len(seq) >= 0.9, ring
    # Each member line then has no main cell: its records spread over the route.
    spread = rows(db, """SELECT avg(top / total) FROM (SELECT msisdn, max(n) top, sum(n) total FROM
                         (SELECT msisdn, cell_id, count(*) n FROM m WHERE kind = 'bank_moving' GROUP BY 1, 2) GROUP BY 1)""")
    assert spread[0][0] < 0.8


def test_handset_banks_have_one_line_per_imei(db):
    per_imei = rows(db, """SELECT imei, count(DISTINCT msisdn) FROM m WHERE kind = 'bank_handsets' GROUP BY 1""")
    assert len(per_imei) >= 16
    assert max(n for _, n in per_imei) == 1
    tacs = rows(db, """SELECT ring, list_distinct(list(left(imei, 8))) FROM m WHERE kind = 'bank_handsets' GROUP BY 1""")
    for _, t in tacs:
        assert 1 <= len(t) <= 2 and not set(t) & GATEWAY_TACS  # a batch of cheap phones, no gateway


def test_imei_rotation_gives_each_member_several_imeis_of_one_model(db):
    # Rewrites come at most a day apart here: a member working longer than that has changed IMEI.
    per_line = rows(db, """SELECT msisdn, count(DISTINCT imei), count(DISTINCT left(imei, 8)),
                           epoch(max(ts) - min(ts)) / 86400 FROM m WHERE kind = 'bank_imei_rotation' GROUP BY 1""")
    assert len([r for r in per_line if r[3] > 1]) >= 10
    assert all(r[2] == 1 for r in per_line)  # one TAC: the serial changes, the model does not
    # Records spanning d days cross at least ⌊d⌋ rewrites.
    assert all(r[1] >= 1 + int(r[3]) for r in per_line)
    assert all(t in GATEWAY_TACS for (t,) in rows(db, "SELECT DISTINCT left(imei, 8) FROM m WHERE kind = 'bank_imei_rotation'"))


def test_inbound_banks_look_normal_in_their_share_of_inbound_calls(db):
    shares = rows(db, """SELECT ring, avg((direction = 'in')::INT) FROM m WHERE kind = 'bank_inbound' GROUP BY 1""")
    assert shares and all(s >= 0.25 for _, s in shares)
    # The callers: other members of the bank, and a few outside numbers calling many members.
    src = rows(db, """WITH i AS (SELECT m.ring, m.peer, l.ring_id peer_ring FROM m LEFT JOIN labels l ON l.msisdn = m.peer
                         WHERE m.kind = 'bank_inbound' AND m.direction = 'in')
                      SELECT ring, avg((coalesce(peer_ring, '') = ring)::INT),
                             (SELECT count(*) FROM (SELECT peer FROM i i2 WHERE i2.ring = i.ring AND i2.peer_ring IS NULL
                              GROUP BY 1 HAVING count(*) >= 20))
                      FROM i GROUP BY 1""")
    for ring, member_share, accomplices in src:
        assert 0.15 <= member_share <= 0.8, ring
        assert 2 <= accomplices <= 6, ring
    # The plain simbox bank is still almost outbound only.
    assert rows(db, "SELECT avg((direction = 'in')::INT) FROM m WHERE kind = 'bank_two_sites'")[0][0] < 0.1


def test_shift_banks_work_in_disjoint_sets_of_hours(db):
    hours = rows(db, """SELECT ring, msisdn, list_distinct(list(hr)) FROM m WHERE kind = 'bank_shifts' GROUP BY 1, 2""")
    by_ring: dict[str, list] = {}
    for ring, line, hrs in hours:
        by_ring.setdefault(ring, []).append((line, set(hrs)))
    for ring, members in by_ring.items():
        # Members whose hours overlap are one shift; the shifts are then disjoint by construction,
        # and there must be at least two of them, each a short block of the day.
        g = nx.Graph()
        g.add_nodes_from(line for line, _ in members)
        for i, (a, ha) in enumerate(members):
            for b, hb in members[i + 1:]:
                if ha & hb:
                    g.add_edge(a, b)
        shifts = [set().union(*(dict(members)[x] for x in comp)) for comp in nx.connected_components(g)]
        assert len(shifts) >= 2, ring
        assert all(max(s) - min(s) <= 8 for s in shifts), ring


def test_two_site_banks_have_two_main_cells_a_few_km_apart(db):
    top = rows(db, """WITH c AS (SELECT ring, cell_id, count(*) n, sum(count(*)) OVER (PARTITION BY ring) total,
                                 row_number() OVER (PARTITION BY ring ORDER BY count(*) DESC) k
                                 FROM m WHERE kind = 'bank_two_sites' GROUP BY 1, 2)
                      SELECT a.ring, a.n / a.total, b.n / b.total,
                             sqrt(pow((ca.lat - cb.lat) * 111, 2) + pow((ca.lon - cb.lon) * 111 * cos(radians(ca.lat)), 2))
                      FROM c a JOIN c b ON a.ring = b.ring AND a.k = 1 AND b.k = 2
                      JOIN cells ca ON ca.cell_id = a.cell_id JOIN cells cb ON cb.cell_id = b.cell_id""")
    assert top
    for ring, s1, s2, km in top:
        assert s1 >= 0.3 and s2 >= 0.3 and s1 + s2 >= 0.95, ring
        assert 1.0 <= km <= 10.0, ring


def test_crowds_pack_many_ordinary_lines_into_one_cell_hour(db):
    n = rows(db, """SELECT max(n) FROM (SELECT cell_id, date_trunc('hour', ts), count(DISTINCT msisdn) n
                    FROM cdr c JOIN labels l USING (msisdn) WHERE l.scenario = 'crowd' GROUP BY 1, 2)""")[0][0]
    assert n >= 30
    # Outside their hours they are ordinary people: their calls do not all come from the crowd's cell.
    spread = rows(db, """SELECT avg(top / total) FROM (SELECT msisdn, max(n) top, sum(n) total FROM
                         (SELECT c.msisdn, cell_id, count(*) n FROM cdr c JOIN labels l USING (msisdn)
                          WHERE l.scenario = 'crowd' GROUP BY 1, 2) GROUP BY 1)""")[0][0]
    assert spread < 0.8


def test_bank_statistics_table(province):
    got = {r["kind"]: r for r in bank_tactics(province)}
    assert set(got) == set(BANKS) | {"simbox", "crowd"}
    assert got["bank_handsets"]["lines_per_imei"] == 1
    assert got["bank_imei_rotation"]["imeis_per_line"] >= 1.5
    assert got["bank_moving"]["cells_per_member_day"] > 1.5 and got["bank_moving"]["together_share"] >= 0.9
    assert got["bank_inbound"]["inbound_share"] >= 0.25
    assert got["bank_two_sites"]["together_share"] < 0.8
    assert got["crowd"]["max_in_cell_hour"] >= 30


def _digests(folder: Path) -> dict:
    return {str(f.relative_to(folder)): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(folder.rglob("*")) if f.is_file()}


def test_tactics_do_not_depend_on_the_number_of_workers(tmp_path, monkeypatch):
    monkeypatch.setattr(generate, "CHUNK_LINES", 400)
    cfg = tmp_path / "t.toml"
    cfg.write_text(BANK_TACTICS_TOML.replace("0.01", "0.02").replace("crowd = 0.1", "crowd = 0.2"))
    simulate(lines=900, days=2, seed=3, out=tmp_path / "one", config=cfg, workers=1)
    simulate(lines=900, days=2, seed=3, out=tmp_path / "two", config=cfg, workers=2)
    assert _digests(tmp_path / "one") == _digests(tmp_path / "two")
    labels = (tmp_path / "one" / "labels.csv").read_text()
    assert all(k in labels for k in BANKS) and "crowd" in labels


def test_zero_shares_leave_the_default_province_as_it_was(tmp_path):
    cfg = tmp_path / "zero.toml"
    cfg.write_text(BANK_TACTICS_TOML.replace("0.01", "0.0").replace("crowd = 0.1", "crowd = 0.0"))
    simulate(lines=600, days=1, seed=2, out=tmp_path / "default", workers=1)
    simulate(lines=600, days=1, seed=2, out=tmp_path / "zero", config=cfg, workers=1)
    assert _digests(tmp_path / "default") == _digests(tmp_path / "zero")
