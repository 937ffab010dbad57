"""The job facility (progress, failure, interruption), charts and exports on their own."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from fanzha.casework.auth.principal import Principal
from fanzha.db import session_scope

ME = Principal(user_id=None, username="me", roles=frozenset({"supervisor"}))


def test_job_progress_result_and_failure(engine, tmp_path):
    from fanzha.jobs import service as jobs
    from fanzha.jobs.models import Job

    seen = []

    def work(progress):
        progress.set_total(4)
        for i in range(4):
            progress.advance(1, f"步骤 {i + 1}")
            with session_scope(engine) as db:  # what a polling page would read meanwhile
                seen.append(jobs.status(db.get(Job, progress.job_id)).state)
        out = tmp_path / "r.txt"
        out.write_text("ok")
        return out

    with session_scope(engine) as db:
        job_id = jobs.create(db, kind="t", title="测试", actor=ME).id
    jobs.run(engine, job_id, work)
    with session_scope(engine) as db:
        s = jobs.status(jobs.get(db, job_id=job_id, actor=ME))
        assert jobs.get(db, job_id=job_id, actor=Principal(user_id=None, username="other")) is None
    assert seen[0] == "running" and (s.state, s.percent, s.done, s.total) == ("done", 100, 4, 4)
    assert s.result_url == f"/jobs/{job_id}/result" and s.finished

    def broken(progress):
        progress.set_total(3)
        progress.advance(1)
        raise ValueError("源数据缺失")

    with session_scope(engine) as db:
        bad_id = jobs.create(db, kind="t", title="坏任务", actor=ME).id
    jobs.run(engine, bad_id, broken)
    with session_scope(engine) as db:
        s = jobs.status(db.get(Job, bad_id))
    assert s.state == "failed" and "源数据缺失" in s.error and s.result_url is None and s.done == 1


def test_job_without_heartbeat_reads_interrupted(engine):
    from fanzha.casework.context import utcnow
    from fanzha.jobs import service as jobs

    with session_scope(engine) as db:
        job = jobs.create(db, kind="t", title="x", actor=ME)
        job.state, job.heartbeat_at = "running", utcnow() - jobs.STALE_AFTER - timedelta(seconds=1)
        assert jobs.status(job).state == "interrupted" and jobs.status(job).finished
        job.heartbeat_at = utcnow()
        assert jobs.status(job).state == "running"


def test_chart_svg_bars_add_up_and_escape_labels():
    from fanzha.supervision.charts import render
    from fanzha.supervision.panels import Chart, Series

    for kind in ("stacked", "grouped", "hbar", "hgrouped"):
        svg = str(render(Chart(kind, ["<b>甲</b>", "乙"], [Series("一", [3, 0]), Series("二", [1, 2.5])], title="图")))
        assert svg.startswith("<svg") and 'data-total="6.5"' in svg
        assert svg.count('class="bar"') == 4 and "<b>" not in svg and "&lt;b&gt;" in svg


def test_exports_escape_formulas_and_keep_chinese(tmp_path):
    from openpyxl import load_workbook

    from fanzha.supervision.export import save_atomic, to_csv, workbook
    from fanzha.supervision.panels import Panel, PanelData

    data = PanelData(columns=[("shop", "营业厅"), ("n", "数量")], rows=[{"shop": "=HYPERLINK(1)", "n": -3},
                                                                      {"shop": "咸安", "n": None}])  # fmt: skip
    rows = list(csv.reader(io.StringIO(to_csv(data).decode("utf-8-sig"))))
    assert rows == [["营业厅", "数量"], ["'=HYPERLINK(1)", "-3"], ["咸安", ""]]
    panel = Panel("t", "测试：面板/一", ME.permissions and next(iter(ME.permissions)), lambda ctx: data)
    target = tmp_path / "out" / "r.xlsx"
    save_atomic(workbook([(panel, data), (panel, PanelData.empty("没有数据源"))], subtitle="筛选"), target)
    wb = load_workbook(target)
    assert len(wb.sheetnames) == 2 and not Path(str(target) + ".part").exists()
    cells = [c for row in wb.worksheets[0].iter_rows(values_only=True) for c in row if c is not None]
    assert "'=HYPERLINK(1)" in cells and -3 in cells
    assert any("暂无数据" in str(c) for row in wb.worksheets[1].iter_rows(values_only=True) for c in row)
