"""fanzha police …: create a batch, export it, verify the package (and catch an altered file), stats."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from police_seed import FRAUD, seed


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_police_cli_create_export_verify_stats(engine, tmp_path):
    from fanzha.cli import app
    from fanzha.config import get_settings

    settings = get_settings()
    world = seed(engine, settings, tmp_path)
    run = CliRunner().invoke
    r = run(app, ["police", "create-batch", "--title", "CLI 批次", "--recipient", "咸宁市公安局反诈中心",
                  "--case", str(world.case_id), "--msisdn", FRAUD])  # fmt: skip
    assert r.exit_code == 0, r.output
    batch_no = r.output.split(":")[0].strip()
    assert batch_no.startswith("XS-") and "2 lines" in r.output
    r = run(app, ["police", "export", batch_no, "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    zipped = tmp_path / "out" / f"{batch_no}.zip"
    assert zipped.is_file() and "manifest.json" in r.output
    r = run(app, ["police", "verify", str(zipped)])
    assert r.exit_code == 0 and "OK: 4 files checked" in r.output
    folder = settings.home / "police" / "batches" / batch_no
    (folder / "evidence.csv").write_text("forged\n", encoding="utf-8")
    r = run(app, ["police", "verify", str(folder)])
    assert r.exit_code == 1 and "FAIL evidence.csv: SHA-256 differs (altered)" in r.output
    r = run(app, ["police", "batches"])
    assert batch_no in r.output
    r = run(app, ["police", "create-batch", "--title", "空批次", "--recipient", "公安", "--msisdn", "13900000000"])
    assert r.exit_code == 2 and "不在本网登记数据中" in r.output
    from datetime import date

    today = date.today().isoformat()
    r = run(app, ["police", "stats", "--since", "2020-01-01", "--until", "2099-12-31"])
    assert r.exit_code == 0 and "移交批次 batches" in r.output, r.output
    assert run(app, ["police", "stats", "--since", "x", "--until", today]).exit_code == 2
    for cmd in ("queries", "batches", "create-batch", "export", "verify", "stats"):
        assert run(app, ["police", cmd, "--help"]).exit_code == 0
