"""`fanzha kpi show|report` on the scenario's database (FANZHA_DATABASE_URL is set by the db_url fixture)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from fanzha.cli import app

ONE_DB = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@ONE_DB
def test_kpi_show_and_report(scenario, tmp_path):
    from openpyxl import load_workbook

    runner = CliRunner()
    shown = runner.invoke(app, ["kpi", "show", "--panel", "shut_lines", "--panel", "appeals"])
    assert shown.exit_code == 0, shown.output
    assert "处置号码 2" in shown.output and "simbox" in shown.output and "申诉误报率（申诉成立 ÷ 已决定申诉） 50.0%（1/2）" in shown.output
    assert "backlog" not in shown.output
    out = tmp_path / "r.xlsx"
    done = runner.invoke(app, ["kpi", "report", "--out", str(out), "--county", "421281"])
    assert done.exit_code == 0, done.output
    wb = load_workbook(out)
    assert wb.sheetnames[0].startswith("处置号码") and "赤壁市" in wb.worksheets[0]["A2"].value
    bad = runner.invoke(app, ["kpi", "show", "--start", "2026-02-30"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output
