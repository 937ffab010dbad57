"""The casework commands end to end: import alerts, retry orders, export labels, mark a line class."""

from __future__ import annotations

import csv
import json

from typer.testing import CliRunner


def test_cli_import_retry_export(db_url, owners, tmp_path):
    from fanzha.cli import app

    path = tmp_path / "alerts.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["alert_id", "subject_type", "subject", "detector", "score", "severity", "event_time", "reasons",
                    "evidence"])  # fmt: skip
        w.writerow(["x1", "msisdn", owners[1].msisdns[0], "simbox", "0.995", "critical", "2026-05-03T08:00:00+08:00",
                    "多卡同设备", json.dumps({"imei": "861111111111111"})])  # fmt: skip
    runner = CliRunner()
    r = runner.invoke(app, ["alerts", "import", str(path)])
    assert r.exit_code == 0, r.output
    assert "imported 1" in r.output and "auto-suspend orders 1" in r.output and "orders sent 1" in r.output
    r = runner.invoke(app, ["alerts", "import", str(path)])
    assert "imported 0, already there 1" in r.output
    r = runner.invoke(app, ["orders", "list"])
    assert "189****0004" in r.output and "done" in r.output and owners[1].msisdns[0] not in r.output
    r = runner.invoke(app, ["orders", "retry"])
    assert r.exit_code == 0 and "sent 0, failed 0" in r.output
    r = runner.invoke(app, ["cases", "line-class", owners[0].msisdns[0], "government"])
    assert r.exit_code == 0
    out = tmp_path / "labels.csv"
    r = runner.invoke(app, ["labels", "export", "--out", str(out)])
    assert r.exit_code == 0 and out.read_text().splitlines() == ["msisdn,label,since,outcome"]  # nothing decided yet
