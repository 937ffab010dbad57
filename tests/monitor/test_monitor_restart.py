"""kill -9 at each step of a cycle, then a restart: no record lost, no alert raised twice.

The monitor runs as a real subprocess (`fanzha monitor --once`); the test-only hook
FANZHA_MONITOR_PAUSE_AT makes it stop at the chosen step and touch a marker file, and the test then
sends SIGKILL — nothing is shut down cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import func, select

from monitor_stream import FRAUD, Stream, lines, write

SRC = Path(__file__).resolve().parents[2] / "src"
STEPS = ("claimed", "ingested", "applied", "alerts_committed", "scored")


def _run(env: dict, drop: Path, *, pause: str | None, marker: Path) -> subprocess.Popen:
    env = dict(env)
    if pause:
        env["FANZHA_MONITOR_PAUSE_AT"] = pause
        env["FANZHA_MONITOR_PAUSE_FILE"] = str(marker)
    return subprocess.Popen([sys.executable, "-c", "from fanzha.cli import main; main()", "monitor", "--once",
                             "--drop", str(drop)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


# Every step on SQLite; on PostgreSQL the step where the alert transaction has committed but the state not.
@pytest.mark.parametrize("db_url,step", [("sqlite", s) for s in STEPS] + [
    pytest.param("postgres", "alerts_committed", marks=pytest.mark.postgres)], indirect=["db_url"])
def test_kill_9_then_restart(step, db_url, tmp_path):
    from fanzha.casework.alerts.models import Alert
    from fanzha.casework.monitor.models import MonitorAlert, MonitorFile
    from fanzha.db import engine_for

    drop = tmp_path / "drop"
    home = tmp_path / "home"
    s = Stream(normal=lines(150), victims=[], fraud_per_min=30)
    frames = [s.frame(range(i * 4, i * 4 + 4)) for i in range(3)]
    for i, f in enumerate(frames):
        write(f, drop, f"cdr-{i}.csv")
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "FANZHA_HOME": str(home), "FANZHA_DATABASE_URL": db_url, "FANZHA_MONITOR_SETTLE_SECONDS": "0",
           "FANZHA_AUTO_SUSPEND_SCORE": "0.9"}
    marker = tmp_path / "paused"
    proc = _run(env, drop, pause=step, marker=marker)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "the monitor never reached the step"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    again = _run(env, drop, pause=None, marker=marker)
    out, err = again.communicate(timeout=180)
    assert again.returncode == 0, err.decode()[-2000:]

    total = sum(len(f) for f in frames)
    store = home / "monitor" / "store" / "cdr"
    con = duckdb.connect()
    stored, distinct = con.execute(
        f"SELECT COUNT(*), COUNT(DISTINCT record_id) FROM read_parquet('{store}/*/*.parquet')").fetchall()[0]
    assert stored == distinct == total  # every record stored, once
    con.close()
    state = duckdb.connect(str(home / "monitor" / "state.duckdb"), read_only=True)
    assert state.execute("SELECT SUM(calls) FROM line_hour").fetchall()[0][0] == total  # counted once in the windows
    state.close()
    engine = engine_for(db_url)
    with engine.connect() as conn:
        alerts = conn.execute(select(Alert.detector, Alert.subject_type, Alert.subject)
                              .where(Alert.source == "monitor")).all()
        assert len(alerts) == len(set(alerts)) > 0  # no alert twice
        assert (("fraud_caller", "msisdn", FRAUD)) in set(alerts)
        assert conn.execute(select(func.count()).select_from(MonitorAlert)).scalar_one() == len(alerts)
        files = conn.execute(select(MonitorFile.status, MonitorFile.lag_s)).all()
    assert sorted(f.status for f in files) == ["scored"] * 3
    assert all(f.lag_s is not None for f in files)
    assert not any((home / "monitor" / "inbox").rglob("*.csv"))
