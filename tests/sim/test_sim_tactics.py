"""Each tactic switch of fanzha.sim.tactics_fraud produces its behaviour, measured from the written files.

One small province with all these tactics on (and 15 % of the fraud lines unlabelled) is built once; each
test computes its statistic with DuckDB from the CSVs, as a detector would see them. Run with `-s` to
see the per-tactic table (fanzha.sim.realism.tactic_stats)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from fanzha.sim import generate, simulate
from fanzha.sim.config import SimConfig
from fanzha.sim.numbers import SERVICE_NUMBERS
from fanzha.sim.realism import format_tactics, tactic_stats

MINE = ["slow_caller", "bought_old_line", "social_caller", "sms_first", "resold_province", "resold_city",
        "telemarketer", "delivery_rider", "mover", "traveller", "phone_changer"]
SHARE = 0.006
UNLABELLED = 0.15


def _cfg(**extra) -> SimConfig:
    return SimConfig.load(**{f"tactics.{t}": SHARE for t in MINE}, **extra)


def _build(out: Path) -> dict:
    return simulate(lines=4000, days=5, seed=5, out=out, workers=1, config=_cfg(**{"labels.unlabelled_share": UNLABELLED}))


@pytest.fixture(scope="module")
def province(build_once) -> Path:
    out, _ = build_once("tactics-4000x5", _build)
    print("\n" + format_tactics(tactic_stats(out)))
    return out


@pytest.fixture(scope="module")
def con(province):
    c = duckdb.connect()
    c.execute("SET enable_progress_bar = false")
    c.execute("SET TimeZone = 'Asia/Shanghai'")
    c.execute(f"""CREATE TABLE lab AS SELECT msisdn, label, since::TIMESTAMPTZ since, scenario, ring_id
                  FROM read_csv('{province}/labels_truth.csv', all_varchar = true)""")
    c.execute(f"CREATE TABLE subs AS SELECT * FROM read_csv('{province}/subscribers.csv', all_varchar = true)")
    c.execute(f"CREATE TABLE cells AS SELECT cell_id, lat::DOUBLE lat, lon::DOUBLE lon FROM read_csv('{province}/cells.csv')")
    c.execute(f"""CREATE TABLE cdr AS SELECT msisdn, peer, direction, start_time::TIMESTAMPTZ ts, duration_s::INT dur,
                  NULLIF(cell_id, '') cell_id, NULLIF(imei, '') imei
                  FROM read_csv('{province}/cdr/*.csv', all_varchar = true)""")
    c.execute(f"""CREATE TABLE sms AS SELECT msisdn, peer, direction, send_time::TIMESTAMPTZ ts
                  FROM read_csv('{province}/sms/*.csv', all_varchar = true)""")
    # Calls of each line with its label, and whether they are after `since`; service numbers flagged.
    c.execute("""CREATE TABLE x AS SELECT c.*, l.label, l.scenario, l.since, c.ts >= l.since after,
                 list_contains($s, c.peer) service FROM cdr c JOIN lab l USING (msisdn)""", {"s": SERVICE_NUMBERS})
    yield c
    c.close()


def q(con, sql: str, **params):
    return con.execute(sql, params).fetchall()


def one(con, sql: str, **params):
    return q(con, sql, **params)[0]


def test_every_tactic_has_its_lines_labels_since_and_rings(con):
    rows = dict((s, (lab, n, with_since, with_ring)) for s, lab, n, with_since, with_ring in q(con, """
        SELECT scenario, label, count(*), avg((since IS NOT NULL)::INT), avg((ring_id IS NOT NULL)::INT)
        FROM lab WHERE label <> 'mule' GROUP BY 1, 2"""))
    expected = {"slow_caller": "fraud_caller", "bought_old_line": "fraud_caller", "social_caller": "fraud_caller",
                "sms_first": "fraud_caller", "resold_province": "resold", "resold_city": "resold"}
    expected.update({t: "normal" for t in ("telemarketer", "delivery_rider", "mover", "traveller", "phone_changer")})
    for scenario, label in expected.items():
        lab, n, with_since, with_ring = rows[scenario]
        assert lab == label and n == round(SHARE * 4000), scenario
        if label == "normal":
            assert with_since == 0 and with_ring == 0, scenario
        else:
            assert with_since == 1 and with_ring == 1, scenario
    # `since` is the first record of the behaviour: no fraud line of a tactic calls strangers in bulk before it.
    before, after = one(con, """SELECT count(*) FILTER (WHERE NOT after) / count(DISTINCT msisdn),
        count(*) FILTER (WHERE after) / count(DISTINCT msisdn) FROM x
        WHERE scenario IN ('slow_caller', 'sms_first', 'bought_old_line') AND label = 'fraud_caller'
        AND direction = 'out'""")
    assert before < 0.05 * after
    # and the first record at or after `since` is one of the behaviour (to the second).
    assert one(con, """SELECT count(*) FROM lab l WHERE label <> 'normal' AND scenario IN ('slow_caller',
        'sms_first', 'bought_old_line', 'social_caller', 'resold_province', 'resold_city') AND NOT EXISTS (
        SELECT 1 FROM (SELECT msisdn, ts FROM cdr UNION ALL SELECT msisdn, ts FROM sms) r
        WHERE r.msisdn = l.msisdn AND r.ts = l.since)""")[0] == 0


def _per_line_day(con, scenario: str) -> list[tuple]:
    """(calls a day, answered share of outgoing calls, median duration) over each line's full days after since."""
    return q(con, """WITH d AS (SELECT msisdn, ts::DATE d, count(*) n, count(*) FILTER (WHERE direction = 'out') n_out,
                count(*) FILTER (WHERE direction = 'out' AND dur > 0) n_ans,
                median(dur) FILTER (WHERE direction = 'out' AND dur > 0) dur
            FROM x WHERE scenario = $s AND label = 'fraud_caller' AND ts::DATE > since::DATE GROUP BY 1, 2)
        SELECT msisdn, avg(n), sum(n_ans) / sum(n_out), median(dur) FROM d GROUP BY 1""", s=scenario)


def test_slow_callers_make_15_to_40_calls_a_day_more_answered_and_longer(con):
    slow, bulk = _per_line_day(con, "slow_caller"), _per_line_day(con, "fraud_caller")
    assert len(slow) >= 15 and len(bulk) >= 5
    inside = [15 <= per_day <= 40 for _, per_day, _, _ in slow]
    assert sum(inside) >= 0.9 * len(slow)
    med = lambda rows, i: sorted(r[i] for r in rows)[len(rows) // 2]  # noqa: E731
    assert med(slow, 1) < 0.5 * med(bulk, 1)
    assert med(slow, 2) >= med(bulk, 2) + 0.1
    assert med(slow, 3) >= 1.5 * med(bulk, 3)
    # Spread over working hours.
    assert one(con, """SELECT avg((hour(ts) BETWEEN 8 AND 18)::INT) FROM x WHERE scenario = 'slow_caller'
                       AND label = 'fraud_caller' AND after AND direction = 'out'""")[0] >= 0.95


def test_bought_old_lines_have_the_owners_past_and_some_of_it_goes_on(con):
    # Opened years ago, by a real person.
    assert one(con, """SELECT min(open_time::TIMESTAMPTZ) < max(open_time::TIMESTAMPTZ),
                       max(open_time::TIMESTAMPTZ) < TIMESTAMPTZ '2024-11-01' FROM subs
                       JOIN lab USING (msisdn) WHERE scenario = 'bought_old_line' AND label = 'fraud_caller'""") == (True, True)
    rows = q(con, """WITH p AS (SELECT msisdn, list_distinct(list(peer) FILTER (WHERE NOT after)) p0,
                list_distinct(list(peer) FILTER (WHERE after AND direction = 'in')) p1_in,
                list_distinct(list(peer) FILTER (WHERE after AND direction = 'out')) p1_out,
                count(*) FILTER (WHERE after AND direction = 'out') n_out
            FROM x WHERE scenario = 'bought_old_line' AND label = 'fraud_caller' AND NOT service GROUP BY 1)
        SELECT coalesce(len(p0), 0), coalesce(len(list_intersect(p0, p1_in)), 0),
               coalesce(len(list_intersect(p0, p1_out)), 0), n_out FROM p""")
    assert len(rows) >= 20
    # Records before `since` with the owner's contacts; some of those contacts still call after it...
    assert sum(r[0] >= 1 for r in rows) >= 0.85 * len(rows)
    assert sum(r[1] >= 1 for r in rows) >= 0.15 * len(rows) and sum(r[1] for r in rows) >= 5
    # ...but the new holder rings none of them: his outgoing calls are to strangers, in bulk.
    assert sum(r[2] for r in rows) <= 0.02 * sum(r[3] for r in rows)
    assert sorted(r[3] for r in rows)[len(rows) // 2] >= 50
    # The kept share is about bought_old_line_kept_contacts (0.3) of the owner's contacts heard from after.
    kept = one(con, """WITH p AS (SELECT msisdn, list_distinct(list(peer) FILTER (WHERE NOT after)) p0,
                list_distinct(list(peer) FILTER (WHERE after)) p1 FROM x
                WHERE scenario = 'bought_old_line' AND label = 'fraud_caller' AND NOT service GROUP BY 1),
            o AS (SELECT msisdn, list_distinct(list(peer) FILTER (WHERE ts < TIMESTAMPTZ '2026-11-03 12:00+08')) p0,
                list_distinct(list(peer) FILTER (WHERE ts >= TIMESTAMPTZ '2026-11-03 12:00+08')) p1 FROM x
                WHERE label = 'normal' AND scenario IS NULL AND NOT service GROUP BY 1)
        SELECT (SELECT sum(len(list_intersect(p0, p1))) / sum(len(p0)) FROM p),
               (SELECT sum(len(list_intersect(p0, p1))) / sum(len(p0)) FROM o)""")
    assert kept[0] < 0.6 * kept[1]


def test_social_callers_keep_calling_and_texting_their_own_people(con):
    # Reciprocal repeated contacts after `since` (family, friends), next to the fraud calls.
    rows = q(con, """WITH p AS (SELECT msisdn, peer, count(*) FILTER (WHERE direction = 'out') n_out,
                count(*) FILTER (WHERE direction = 'in') n_in FROM x
            WHERE scenario = $s AND label = 'fraud_caller' AND after AND NOT service GROUP BY 1, 2)
        SELECT msisdn, count(*) FILTER (WHERE n_out >= 1 AND n_in >= 1) FROM p GROUP BY 1""", s="social_caller")
    assert sum(n >= 1 for _, n in rows) >= 0.7 * len(rows)
    other = q(con, """WITH p AS (SELECT msisdn, peer, count(*) FILTER (WHERE direction = 'out') n_out,
                count(*) FILTER (WHERE direction = 'in') n_in FROM x
            WHERE scenario = $s AND label = 'fraud_caller' AND after AND NOT service GROUP BY 1, 2)
        SELECT msisdn, count(*) FILTER (WHERE n_out >= 1 AND n_in >= 1) FROM p GROUP BY 1""", s="fraud_caller")
    mean = lambda rows: sum(n for _, n in rows) / max(1, len(rows))  # noqa: E731
    assert mean(rows) >= 2 * mean(other) + 1
    # Ordinary SMS both ways with the same people.
    assert one(con, """SELECT avg(n) FROM (SELECT s.msisdn, count(DISTINCT s.peer) FILTER (WHERE s.direction = 'in') n
                       FROM sms s JOIN lab l USING (msisdn) WHERE l.scenario = 'social_caller'
                       AND l.label = 'fraud_caller' GROUP BY 1)""")[0] >= 1


def test_sms_first_callers_text_strangers_and_call_little(con):
    sms_out, calls_out, distinct = one(con, """SELECT count(*) FILTER (WHERE s.direction = 'out'),
            (SELECT count(*) FROM x WHERE scenario = 'sms_first' AND label = 'fraud_caller' AND after AND direction = 'out'),
            count(DISTINCT s.msisdn || s.peer) FILTER (WHERE s.direction = 'out') / count(*) FILTER (WHERE s.direction = 'out')
        FROM sms s JOIN lab l USING (msisdn) WHERE l.scenario = 'sms_first' AND l.label = 'fraud_caller' AND s.ts >= l.since""")
    assert sms_out >= 8 * calls_out > 0
    assert distinct >= 0.9


def _moves(con, scenario: str) -> list[tuple]:
    """Per resold line: km between its mean place before and after since, contacts kept, handset changed."""
    return q(con, """WITH y AS (SELECT x.*, ce.lat, ce.lon FROM x JOIN cells ce USING (cell_id) WHERE scenario = $s
                     AND label = 'resold'),
            m AS (SELECT msisdn, avg(lat) FILTER (WHERE NOT after) la0, avg(lon) FILTER (WHERE NOT after) lo0,
                avg(lat) FILTER (WHERE after) la1, avg(lon) FILTER (WHERE after) lo1,
                list_distinct(list(peer) FILTER (WHERE NOT after AND NOT service)) p0,
                list_distinct(list(peer) FILTER (WHERE after AND NOT service)) p1,
                list_distinct(list(imei) FILTER (WHERE NOT after)) i0, list_distinct(list(imei) FILTER (WHERE after)) i1
                FROM y GROUP BY 1)
        SELECT sqrt(pow((la1 - la0) * 111, 2) + pow((lo1 - lo0) * 111 * cos(radians(la0)), 2)),
               coalesce(len(list_intersect(p0, p1)), 0) / greatest(coalesce(len(p0), 0), 1), coalesce(len(p1), 0),
               coalesce(len(list_intersect(i0, i1)), 0) = 0
        FROM m WHERE la0 IS NOT NULL AND la1 IS NOT NULL""", s=scenario)


@pytest.mark.parametrize("scenario, lo, hi", [("resold_province", 40, 160), ("resold_city", 0, 30)])
def test_resold_cards_move_within_the_region_and_change_contacts(con, scenario, lo, hi):
    rows = _moves(con, scenario)
    assert len(rows) >= 15
    assert sum(lo <= km <= hi for km, *_ in rows) >= 0.85 * len(rows)
    # The new holder's contacts replace the owner's.
    assert sum(kept for _, kept, _, _ in rows) / len(rows) <= 0.05
    assert sum(n >= 1 for _, _, n, _ in rows) >= 0.8 * len(rows)
    # With or without a new handset (resold_new_handset = 0.5).
    new = sum(changed for *_, changed in rows) / len(rows)
    assert 0.2 <= new <= 0.8


def test_resold_city_moves_less_than_30_km(con):
    km = sorted(r[0] for r in _moves(con, "resold_city"))
    assert km[len(km) // 2] < 30 and km[len(km) // 2] > 1


def test_telemarketers_ring_our_own_subscribers_with_short_calls_in_business_hours(con):
    own, per_day, dur, business, distinct = one(con, """SELECT avg((peer IN (SELECT msisdn FROM subs))::INT),
            count(*) / count(DISTINCT msisdn) / 5, median(dur) FILTER (WHERE dur > 0),
            avg((hour(ts) BETWEEN 7 AND 19)::INT), count(DISTINCT msisdn || peer) / count(*)
        FROM x WHERE scenario = 'telemarketer' AND direction = 'out' AND NOT service""")
    assert own >= 0.95 and per_day >= 40 and dur <= 60 and business >= 0.95 and distinct >= 0.8


def test_delivery_riders_call_many_strangers_briefly_and_move_about_the_town(con):
    ratio, dur, cells_day, far = one(con, """WITH y AS (SELECT x.*, ce.lat, ce.lon FROM x LEFT JOIN cells ce USING (cell_id)
            WHERE scenario = 'delivery_rider'),
        d AS (SELECT msisdn, ts::DATE, count(DISTINCT cell_id) n, max(lat) - min(lat) dlat FROM y GROUP BY 1, 2)
        SELECT (SELECT count(DISTINCT msisdn || peer) / count(*) FROM y WHERE direction = 'out' AND NOT service),
               (SELECT median(dur) FROM y WHERE direction = 'out' AND dur > 0),
               (SELECT median(n) FROM d), (SELECT median(dlat) * 111 FROM d)""")
    ordinary_cells = one(con, """SELECT median(n) FROM (SELECT msisdn, ts::DATE, count(DISTINCT cell_id) n FROM x
                                 WHERE label = 'normal' AND scenario IS NULL GROUP BY 1, 2)""")[0]
    assert ratio >= 0.8 and dur <= 40
    assert cells_day >= 3 * ordinary_cells and cells_day >= 6
    assert far < 30  # within a town, not across the province


def test_movers_have_a_new_line_new_handset_and_contacts_that_build_up(con):
    opened, foreign_id = one(con, """SELECT min(open_time::TIMESTAMPTZ) >= TIMESTAMPTZ '2026-10-26',
            avg((substr(id_no, 1, 4) <> '4212')::INT) FROM subs JOIN lab USING (msisdn) WHERE scenario = 'mover'""")
    assert opened and foreign_id >= 0.7
    # A handset no other line was ever seen on.
    assert one(con, """SELECT count(*) FROM (SELECT DISTINCT imei FROM x WHERE scenario = 'mover' AND imei IS NOT NULL) m
                       WHERE imei IN (SELECT imei FROM cdr c JOIN lab l USING (msisdn) WHERE l.scenario IS DISTINCT FROM 'mover')""")[0] == 0
    # Contacts build up: more distinct non-service peers in each line's second half of life than in its first.
    first, second = one(con, """WITH o AS (SELECT msisdn, open_time::TIMESTAMPTZ t0 FROM subs JOIN lab USING (msisdn)
                WHERE scenario = 'mover'),
            y AS (SELECT x.msisdn, x.peer, x.ts >= o.t0 + (TIMESTAMPTZ '2026-11-06' - o.t0) / 2 late FROM x JOIN o USING (msisdn)
                WHERE NOT service AND x.ts >= o.t0)
        SELECT count(DISTINCT msisdn || peer) FILTER (WHERE NOT late), count(DISTINCT msisdn || peer) FILTER (WHERE late)
        FROM y""")
    assert second >= 1.3 * first


def test_travellers_are_far_away_for_days_and_call_new_local_numbers(con, province):
    # Away: in cells outside the prefecture (region codes other than Xianning's 4212xx).
    con.execute(f"CREATE OR REPLACE TABLE region AS SELECT cell_id, region_code FROM read_csv('{province}/cells.csv', all_varchar = true)")
    rows = q(con, """WITH z AS (SELECT x.*, r.region_code NOT LIKE '4212%' away FROM x JOIN region r USING (cell_id)
                WHERE scenario = $s)
        SELECT msisdn, count(DISTINCT ts::DATE) FILTER (WHERE away),
               count(DISTINCT peer) FILTER (WHERE away AND direction = 'out' AND NOT service
                    AND peer NOT IN (SELECT peer FROM z z2 WHERE z2.msisdn = z.msisdn AND NOT z2.away))
        FROM z GROUP BY 1""", s="traveller")
    assert len(rows) >= 20
    assert sum(d >= 1 for _, d, _ in rows) >= 0.95 * len(rows)
    assert sum(d >= 2 for _, d, _ in rows) >= 0.75 * len(rows)
    assert sum(n >= 2 for _, _, n in rows) >= 0.75 * len(rows)
    # Ordinary people's day trips are rarer and shorter.
    ordinary = one(con, """SELECT avg(d) FROM (SELECT msisdn, count(DISTINCT ts::DATE) FILTER (WHERE r.region_code NOT LIKE '4212%') d
                           FROM x JOIN region r USING (cell_id) WHERE label = 'normal' AND scenario IS NULL GROUP BY 1)""")[0]
    assert sum(d for _, d, _ in rows) / len(rows) >= 5 * ordinary


def test_phone_changers_change_imei_but_keep_contacts_and_places(con):
    rows = q(con, """WITH y AS (SELECT x.* EXCLUDE (after), min(ts) OVER (PARTITION BY msisdn, imei) first_t FROM x
                WHERE scenario = 'phone_changer' AND imei IS NOT NULL),
            s AS (SELECT msisdn, count(DISTINCT imei) n_imei, max(first_t) switch FROM y GROUP BY 1),
            z AS (SELECT y.*, y.ts >= s.switch late FROM y JOIN s USING (msisdn) WHERE s.n_imei = 2),
            b AS (SELECT msisdn, list_distinct(list(peer) FILTER (WHERE NOT late AND NOT service)) p0,
                         list_distinct(list(peer) FILTER (WHERE late AND NOT service)) p1,
                         list_distinct(list(cell_id) FILTER (WHERE NOT late)) c0 FROM z GROUP BY 1),
            c AS (SELECT z.msisdn, avg(list_contains(b.c0, z.cell_id)::INT) same FROM z JOIN b USING (msisdn)
                  WHERE z.late AND z.cell_id IS NOT NULL GROUP BY 1)
        SELECT s.msisdn, s.n_imei, coalesce(len(list_intersect(b.p0, b.p1)), 0) / greatest(coalesce(len(b.p0), 0), 1),
               c.same
        FROM s LEFT JOIN b USING (msisdn) LEFT JOIN c USING (msisdn)""")
    assert len(rows) >= 20
    assert sum(n == 2 for _, n, _, _ in rows) >= 0.9 * len(rows)
    two = [r for r in rows if r[1] == 2]
    # Same contacts: a good share of the people called before the change are heard from after it.
    assert sum(r[2] for r in two) / len(two) >= 0.3
    # Same places: most records after the change are in cells the line used before it.
    places = sorted(r[3] for r in two if r[3] is not None)
    assert places[len(places) // 2] >= 0.6


def test_unlabelled_share_hides_fraud_lines_in_the_training_view(province, con):
    con.execute(f"""CREATE OR REPLACE TABLE view AS SELECT * FROM read_csv('{province}/labels.csv', all_varchar = true)""")
    n_subs = one(con, "SELECT count(*) FROM subs")[0]
    assert one(con, "SELECT count(*), count(DISTINCT msisdn) FROM lab") == (n_subs, n_subs)
    assert one(con, "SELECT count(*) FROM lab JOIN subs USING (msisdn)")[0] == n_subs
    cols = lambda name: [r[0] for r in q(con, f"SELECT column_name FROM (DESCRIBE SELECT * FROM read_csv('{province}/{name}.csv'))")]  # noqa: E731
    assert cols("labels") == cols("labels_truth") == ["msisdn", "label", "since", "scenario", "ring_id"]
    fraud, hidden, wrong = one(con, """SELECT count(*) FILTER (WHERE t.label <> 'normal'),
            count(*) FILTER (WHERE t.label <> 'normal' AND v.label = 'normal'),
            count(*) FILTER (WHERE t.label = 'normal' AND v.label <> 'normal' OR (v.label <> 'normal' AND
                             (v.label <> t.label OR v.since::TIMESTAMPTZ IS DISTINCT FROM t.since)))
        FROM lab t JOIN view v USING (msisdn)""")
    assert hidden == round(UNLABELLED * fraud) and wrong == 0
    # A hidden line carries nothing that would give it away.
    assert one(con, """SELECT count(*) FROM lab t JOIN view v USING (msisdn) WHERE t.label <> 'normal' AND v.label = 'normal'
                       AND (v.since IS NOT NULL OR v.scenario IS NOT NULL OR v.ring_id IS NOT NULL)""")[0] == 0
    # Deterministic from the seed: the same lines are hidden again.
    again = generate.unlabelled(_world(UNLABELLED))
    assert again.tolist() == generate.unlabelled(_world(UNLABELLED)).tolist() and len(again) > 0


def _world(share: float):
    from fanzha.sim.world import build_world

    return build_world(cfg=_cfg(**{"labels.unlabelled_share": share}), lines=800, days=2, seed=2,
                       start=generate.DEFAULT_START)


def _digests(folder: Path) -> dict:
    return {str(f.relative_to(folder)): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(folder.rglob("*")) if f.is_file()}


def test_the_default_province_is_unchanged_when_the_tactics_are_off(tmp_path):
    # Shares at 0 and the tactics' other knobs moved: nothing of them may reach the files (no random draw,
    # no line touched), and no labels_truth without unlabelled lines.
    plain = simulate(lines=700, days=2, seed=4, out=tmp_path / "plain", workers=1)
    off = SimConfig.load(**{"tactics.bought_old_line_kept_contacts": 0.9, "tactics.resold_new_handset": 0.1})
    assert all(getattr(off.tactics, t) == 0 for t in MINE)
    knobs = simulate(lines=700, days=2, seed=4, out=tmp_path / "knobs", workers=1, config=off)
    assert plain["cdr"] == knobs["cdr"] > 0
    files = _digests(tmp_path / "plain")
    assert files == _digests(tmp_path / "knobs")
    assert "labels_truth.csv" not in files


def test_tactic_files_do_not_depend_on_the_number_of_workers(tmp_path, monkeypatch):
    monkeypatch.setattr(generate, "CHUNK_LINES", 400)
    cfg = _cfg(**{"labels.unlabelled_share": 0.3})
    simulate(lines=1200, days=3, seed=3, out=tmp_path / "one", workers=1, config=cfg)
    simulate(lines=1200, days=3, seed=3, out=tmp_path / "two", workers=2, config=cfg)
    files = _digests(tmp_path / "one")
    assert "labels_truth.csv" in files and files == _digests(tmp_path / "two")


def test_every_tactic_here_is_documented_with_its_why():
    from fanzha.sim.tactics import TACTICS

    doc = (Path(__file__).parents[2] / "docs" / "detection.md").read_text(encoding="utf-8")
    section = doc[doc.index("## 模拟的作案手法 Tactics in the simulator"):]
    section = section[:section.index("\n## ", 5)]
    for name in MINE:
        assert f"`{name}`" in section and TACTICS[name].why in section and TACTICS[name].zh in section, name
    assert "labels_truth.csv" in section and "training view" in section
