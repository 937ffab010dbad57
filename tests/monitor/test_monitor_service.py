"""The monitor loop against a real database (SQLite and PostgreSQL) and DuckDB state."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from monitor_stream import FRAUD, Stream, lines, write


def _count(engine, stmt):
    with engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


def test_planted_fraud_line_is_alerted_and_suspended_within_two_minutes(make_monitor, engine, monitor_settings,
                                                                         victims, tmp_path):
    """One file per minute of traffic; the fraud line makes 8 calls a minute. The alert, and the suspension
    order sent to the BSS, must come no later than two minutes (event time) after its 100th call, and each
    file must be through the monitor within two minutes of arriving."""
    from fanzha.casework.alerts.models import Alert
    from fanzha.casework.measures.models import MeasureOrder
    from fanzha.casework.monitor.models import MonitorFile

    s = Stream(normal=lines(300), victims=victims)
    mon = make_monitor()
    planted = s.frame(range(30))
    hundredth = int(planted[planted["msisdn"] == FRAUD]["ts"].sort_values().iloc[99])
    alerted_minute = None
    for minute in range(30):
        f = s.minute_frame(minute)
        write(f, monitor_settings.monitor_drop, f"cdr-{minute:03d}.csv")
        res = mon.run_once()
        assert res.files == 1
        n = _count(engine, select(func.count()).select_from(Alert).where(Alert.subject == FRAUD, Alert.source == "monitor"))
        if n:
            alerted_minute = minute
            break
    assert alerted_minute is not None, "the planted line was never alerted"
    file_end = int(f["ts"].max())
    assert file_end - hundredth <= 120  # the file that brought the alert ends ≤ 2 min after the 100th call
    with engine.connect() as conn:
        order = conn.execute(select(MeasureOrder).where(MeasureOrder.msisdn == FRAUD)).one()
        lags = conn.execute(select(MonitorFile.lag_s)).scalars().all()
    assert order.measure == "suspend" and order.status == "done"
    assert (monitor_settings.home / "bss" / f"{order.order_key}.csv").is_file()
    assert max(lags) < 120
    assert all(lag is not None for lag in lags)


def test_restart_rescoring_raises_no_duplicate(make_monitor, engine, monitor_settings, victims):
    from fanzha.casework.alerts.models import Alert

    s = Stream(normal=lines(200), victims=victims, fraud_per_min=30)
    write(s.frame(range(0, 10)), monitor_settings.monitor_drop, "cdr-a.csv")
    mon = make_monitor()
    first = mon.run_once()
    assert first.alerts >= 1
    # Every line dirty again, as after a crash between the alert commit and clearing `dirty`:
    mon.state.con.execute("INSERT INTO dirty (msisdn) SELECT DISTINCT msisdn FROM line_hour")
    mon.close()
    again = make_monitor().run_once()
    assert again.alerts == 0
    n = _count(engine, select(func.count()).select_from(Alert).where(Alert.source == "monitor"))
    assert n == first.alerts


def test_bad_file_moved_aside_and_processing_goes_on(make_monitor, engine, monitor_settings, tmp_path):
    from fanzha.casework.monitor.models import MonitorFile

    drop = monitor_settings.monitor_drop
    drop.mkdir(parents=True, exist_ok=True)
    (drop / "cdr-bad.csv").write_text("record_id,msisdn,peer,direction,start_time,duration_s\n"
                                      "X1,notanumber,1,sideways,yesterday,-3\nX2,,,,,\n")
    (drop / "cdr-garbage.parquet").write_bytes(b"this is not parquet")
    s = Stream(normal=lines(100), victims=[], fraud=None)
    good = s.frame(range(0, 3))
    good.loc[0, "msisdn"] = "12345"  # one bad row in a good file: quarantined, the file goes on
    write(good, drop, "cdr-good.csv")
    mon = make_monitor()
    res = mon.run_once()
    assert res.rejected == 2 and res.files == 1
    rejected = tmp_path / "monitor" / "rejected"
    names = sorted(p.name for p in rejected.iterdir())
    assert sum(n.endswith("cdr-bad.csv") for n in names) == 1
    report = json.loads(next(rejected.glob("*cdr-bad.csv.report.json")).read_text())
    assert report["rows_read"] == 2 and sum(report["quarantined"].values()) == 2
    assert next(rejected.glob("*cdr-garbage.parquet.report.json")).is_file()
    with engine.connect() as conn:
        rows = {r.name.split("-", 3)[-1]: r for r in conn.execute(select(MonitorFile)).all()}
    assert rows["cdr-good.csv"].status == "scored"
    assert rows["cdr-good.csv"].rows_quarantined == 1
    assert rows["cdr-good.csv"].rows_stored == len(good) - 1
    assert rows["cdr-bad.csv"].status == "rejected"
    assert not list(drop.glob("*.csv"))


def test_late_and_out_of_order_files(make_monitor, engine, monitor_settings):
    """Files arriving out of order within the lateness bound count in the windows; older records are
    stored but counted as late."""
    from fanzha.casework.monitor.models import MonitorFile

    s = Stream(normal=lines(100), victims=[], fraud=None)
    drop = monitor_settings.monitor_drop
    mon = make_monitor()
    write(s.frame(range(60, 70)), drop, "cdr-2.csv")
    mon.run_once()
    write(s.frame(range(40, 50)), drop, "cdr-1.csv")  # 20-30 min older than the newest: within 30 min
    mon.run_once()
    write(s.frame(range(0, 5)), drop, "cdr-0.csv")  # an hour older: beyond the bound
    mon.run_once()
    with engine.connect() as conn:
        late = {r.name.split("-", 3)[-1]: r.rows_late for r in conn.execute(select(MonitorFile)).all()}
    assert late["cdr-2.csv"] == 0 and late["cdr-1.csv"] == 0
    assert late["cdr-0.csv"] == len(s.frame(range(0, 5)))
    in_buckets = mon.state.con.execute("SELECT SUM(calls) FROM line_hour").fetchall()[0][0]
    assert in_buckets == len(s.frame(range(60, 70))) + len(s.frame(range(40, 50)))
    stored = mon.state.con.execute(
        f"SELECT COUNT(*) FROM read_parquet('{mon.store}/cdr/*/*.parquet')").fetchall()[0][0]
    assert stored == in_buckets + late["cdr-0.csv"]


def test_redelivered_records_stored_and_counted_once_comparing_only_overlapping_parts(make_monitor, monitor_settings):
    """A file repeating records of earlier files (mediation re-sends a span) adds only its new records; the
    record_id check reads the parts whose event-time range overlaps the file's, not the whole store."""
    s = Stream(normal=lines(100), victims=[], fraud=None)
    drop = monitor_settings.monitor_drop
    mon = make_monitor()
    for k in range(4):  # minutes 0-9, 10-19, 20-29, 30-39: one part each
        write(s.frame(range(10 * k, 10 * k + 10)), drop, f"cdr-{k}.csv")
        mon.run_once()
    scopes = []
    real = mon._dedup_scope
    mon._dedup_scope = lambda kind, lo, hi: scopes.append(real(kind, lo, hi)) or scopes[-1]
    write(s.frame(range(25, 45)), drop, "cdr-resend.csv")  # 25-39 again, 40-44 new
    mon.run_once()
    assert len(scopes) == 1 and len(scopes[0]) == 2  # the parts of minutes 20-29 and 30-39, not all four
    stored = mon.state.con.execute(
        f"SELECT COUNT(*), COUNT(DISTINCT record_id) FROM read_parquet('{mon.store}/cdr/*/*.parquet')").fetchall()[0]
    assert stored[0] == stored[1] == len(s.frame(range(0, 45)))
    assert mon.state.con.execute("SELECT SUM(calls) FROM line_hour").fetchall()[0][0] == len(s.frame(range(0, 45)))


def test_victims_warned_best_first_once_with_opt_out(make_monitor, engine, monitor_settings, victims):
    from fanzha.casework.monitor.models import VictimWarning
    from fanzha.casework.monitor.warnings import opt_out, people_warned
    from fanzha.db import session_scope

    with session_scope(engine) as db:
        opt_out(db, msisdn=victims[3], via="sms")
    s = Stream(normal=lines(200), victims=victims, fraud_per_min=30)
    write(s.frame(range(0, 10)), monitor_settings.monitor_drop, "cdr-a.csv")
    mon = make_monitor()
    res = mon.run_once()
    assert res.alerts >= 1
    with engine.connect() as conn:
        rows = conn.execute(select(VictimWarning).order_by(VictimWarning.priority, VictimWarning.longest_call_s.desc())).all()
    warned = [r.msisdn for r in rows]
    assert set(warned) == set(victims[:3])  # the opted-out subscriber is not on the list
    assert {r.group for r in rows if r.msisdn in victims[:2]} == {"elderly", "student"}
    assert [r.priority for r in rows if r.msisdn in victims[:2]] == [0, 0]
    assert all(r.status == "handed" and r.channel == "sms_file" for r in rows)
    files = list((monitor_settings.home / "warnings").glob("sms-*.csv"))
    assert len(files) == 1
    text = files[0].read_text(encoding="utf-8")
    assert victims[0] in text and FRAUD[-4:] in text and FRAUD not in text
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"
    # A second pass (the line re-scored, more calls) warns nobody twice.
    write(s.frame(range(10, 12)), monitor_settings.monitor_drop, "cdr-b.csv")
    mon.run_once()
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    with session_scope(engine) as db:
        assert people_warned(db, now - timedelta(hours=1), now + timedelta(seconds=5)) == 3
        assert people_warned(db, now - timedelta(hours=2), now - timedelta(hours=1)) == 0


def test_lag_stats(make_monitor, engine, monitor_settings):
    from datetime import UTC, datetime, timedelta

    from fanzha.casework.monitor.service import lag_stats
    from fanzha.db import session_scope

    s = Stream(normal=lines(50), victims=[], fraud=None)
    mon = make_monitor()
    for i in range(3):
        write(s.frame(range(i * 5, i * 5 + 5)), monitor_settings.monitor_drop, f"cdr-{i}.csv")
        mon.run_once()
    now = datetime.now(UTC)
    with session_scope(engine) as db:
        st = lag_stats(db, now - timedelta(hours=1), now + timedelta(seconds=5))
        empty = lag_stats(db, now - timedelta(hours=3), now - timedelta(hours=2))
    assert st["files"] == 3 and 0 <= st["p50_s"] <= st["p95_s"] <= st["max_s"] < 60
    assert st["rows_read"] == sum(len(s.frame(range(i * 5, i * 5 + 5))) for i in range(3))
    assert empty["files"] == 0 and empty["p95_s"] is None


def test_scoring_pass_clears_only_the_lines_dirty_when_it_began(make_monitor, monitor_settings):
    """The scoring thread reads through its own connection while files keep being applied: lines touched by
    a file applied during the pass stay dirty for the next one."""
    s = Stream(normal=lines(50), victims=[], fraud=None)
    drop = monitor_settings.monitor_drop
    mon = make_monitor()
    write(s.frame(range(0, 5)), drop, "cdr-0.csv")
    mon.claim()
    mon.apply_inbox()
    upto = mon.reader.apply_seq
    assert upto == 1 and mon.reader.dirty_count(upto) == 50
    other = Stream(normal=lines(20, prefix="1330799"), victims=[], fraud=None)
    write(other.frame(range(5, 10)), drop, "cdr-1.csv")  # applied "while the pass runs"
    mon.claim()
    mon.apply_inbox()
    mon.reader.clear_dirty(upto)
    left = {r[0] for r in mon.reader.con.execute("SELECT msisdn FROM dirty").fetchall()}
    assert left == set(lines(20, prefix="1330799"))


def test_run_forever_applies_and_scores_in_two_threads(make_monitor, engine, monitor_settings, victims):
    """The service loop: files dropped one after another while the scoring thread runs; every file ends
    scored with its lag, every record is counted once, the fraud line is alerted once."""
    import threading
    import time

    from fanzha.casework.alerts.models import Alert
    from fanzha.casework.monitor.models import MonitorFile

    s = Stream(normal=lines(200), victims=victims, fraud_per_min=30)
    drop = monitor_settings.monitor_drop
    mon = make_monitor()
    runner = threading.Thread(target=mon.run_forever)
    runner.start()
    try:
        for k in range(6):
            write(s.frame(range(5 * k, 5 * k + 5)), drop, f"cdr-{k}.csv")
            time.sleep(0.3)
        deadline = time.monotonic() + 120
        while True:
            with engine.connect() as conn:
                statuses = conn.execute(select(MonitorFile.status)).scalars().all()
            if len(statuses) == 6 and set(statuses) == {"scored"}:
                break
            assert time.monotonic() < deadline, statuses
            time.sleep(0.2)
    finally:
        mon.stop()
        runner.join(timeout=60)
    assert not runner.is_alive()
    assert mon.state.con.execute("SELECT SUM(calls) FROM line_hour").fetchall()[0][0] == len(s.frame(range(30)))
    assert _count(engine, select(func.count()).select_from(Alert).where(
        Alert.subject == FRAUD, Alert.detector == "fraud_caller")) == 1
    with engine.connect() as conn:
        assert all(lag is not None for lag in conn.execute(select(MonitorFile.lag_s)).scalars())
