"""Imports as Chinese offices produce them: GBK/GB18030 CSV, UTF-8 with BOM and .xlsx give the same result as
UTF-8 CSV (names and content intact), for reports and tips; the templates import as they are."""

from __future__ import annotations

import csv
import io

import pytest
from public_desk_support import OWN


def _csv_bytes(header, rows) -> str:
    out = io.StringIO(newline="")
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def _xlsx(path, header, rows):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(header)
    for r in rows:
        book.active.append(r)
    book.save(path)


HEADER = ["report_id", "received_at", "channel", "reported_number", "reporter_number", "category", "content"]


@pytest.mark.parametrize("form", ["utf-8", "utf-8-sig", "gbk", "gb18030", "xlsx"])
def test_reports_import_every_encoding_and_xlsx(engine, settings, actor, own_lines, tmp_path, form):
    from sqlalchemy import select

    from fanzha.casework.reports.importer import import_reports
    from fanzha.casework.reports.models import PublicReport
    from fanzha.db import session_scope

    rows = [["R1", "2026-11-02T10:00:00+08:00", "sms", OWN[0], "13900000001", "刷单返利", "自称客服要求垫付刷单返利"],
            ["R2", "2026-11-02T11:00:00+08:00", "call", "12", "", "", "号码不对"]]  # fmt: skip
    path = tmp_path / ("r.xlsx" if form == "xlsx" else "r.csv")
    if form == "xlsx":
        _xlsx(path, HEADER, rows)
    else:
        path.write_bytes(_csv_bytes(HEADER, rows).encode(form))
    s = import_reports(engine, path=path, actor=actor, settings=settings)
    assert (s.rows, s.outcomes["added"], dict(s.quarantined)) == (2, 1, {"reported_number": 1})
    with session_scope(engine) as db:
        r = db.execute(select(PublicReport).where(PublicReport.report_id == "R1")).scalar_one()
        assert r.content == "自称客服要求垫付刷单返利" and r.category == "刷单返利"


@pytest.mark.parametrize("form", ["gbk", "xlsx"])
def test_tips_import_gbk_and_xlsx(engine, settings, actor, own_lines, tmp_path, form):
    from sqlalchemy import select

    from fanzha.casework.market.importer import import_tips
    from fanzha.casework.market.models import MarketTip
    from fanzha.casework.market.service import COLUMNS
    from fanzha.db import session_scope

    rows = [["T1", "2026-11-02 09:30", "12315", "health_claims", "颐和养生馆", OWN[1], "推销保健品称能治糖尿病", ""]]
    path = tmp_path / ("t.xlsx" if form == "xlsx" else "t.csv")
    if form == "xlsx":
        _xlsx(path, list(COLUMNS), rows)
    else:
        path.write_bytes(_csv_bytes(COLUMNS, rows).encode(form))
    s = import_tips(engine, path=path, actor=actor, settings=settings)
    assert s.outcomes["added"] == 1 and not s.quarantined
    with session_scope(engine) as db:
        t = db.execute(select(MarketTip)).scalar_one()
        assert t.subject_name == "颐和养生馆" and t.content == "推销保健品称能治糖尿病"


def test_unknown_encoding_and_row_of_wrong_width(engine, settings, actor, own_lines, tmp_path):
    from fanzha.casework.reports.importer import import_reports
    from fanzha.casework.registry.sources import SourceError

    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"report_id\n\xff\xfe\x81\n")
    with pytest.raises(SourceError, match="已尝试 UTF-8.*GB18030/GBK"):
        import_reports(engine, path=bad, actor=actor, settings=settings)
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(HEADER) + f"\nW1,2026-11-02T10:00:00+08:00,sms,{OWN[0]},,,ok\nW2,x,y,z,1,2,3,4,5\n",
                    encoding="gbk")  # fmt: skip
    s = import_reports(engine, path=wide, actor=actor, settings=settings)
    assert s.rows == 2 and s.outcomes["added"] == 1 and s.quarantined == {"file": 1}  # never dropped silently


@pytest.mark.parametrize("kind", ["reports", "tips"])
def test_templates_import_as_they_are(engine, settings, actor, own_lines, tmp_path, kind):
    from fanzha.casework.import_formats import import_format, template_csv, template_xlsx
    from fanzha.casework.market.importer import import_tips
    from fanzha.casework.reports.importer import import_reports

    importer = {"reports": import_reports, "tips": import_tips}[kind]
    fmt = import_format(kind)
    (tmp_path / "t.csv").write_bytes(template_csv(fmt))
    (tmp_path / "t.xlsx").write_bytes(template_xlsx(fmt))
    first = importer(engine, path=tmp_path / "t.csv", actor=actor, settings=settings)
    assert first.rows == 1 and first.added == 1 and not first.quarantined
    again = importer(engine, path=tmp_path / "t.xlsx", actor=actor, settings=settings)  # same row: known
    assert again.rows == 1 and not again.quarantined and again.added == 0
