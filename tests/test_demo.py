"""The README's main job, end to end on the embedded default (small province to stay fast)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fanzha.cli import app


@pytest.mark.slow
def test_demo_end_to_end(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "--lines", "3000", "--days", "3", "--seed", "3"])
    assert result.exit_code == 0, result.output
    home = tmp_path / "home"
    summary = json.loads((home / "detect" / "summary.json").read_text())
    assert summary["subscribers_scored"] > 0 and summary["rows_read_total"] > 0
    assert (home / "detect" / "alerts.csv").stat().st_size > 0
    assert "demo_clerk" in result.output and "demo_supervisor" in result.output
    assert "precision" in result.output
