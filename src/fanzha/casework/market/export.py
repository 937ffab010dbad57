"""Export of the tip statistics as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese) and XLSX
(one sheet per breakdown, openpyxl)."""

from __future__ import annotations

import csv
import io

from fanzha.casework.market.enums import CATEGORIES, CHANNELS, TIP_LABELS, TipStatus


def tables(stats: dict) -> dict[str, list[list]]:
    """Sheet name → rows (header first): the breakdowns of ``tip_stats``, with Chinese labels."""
    months = list(stats["by_month_category"])
    return {
        "按类别": [["类别代码", "类别", "线索数"]] + [[c, CATEGORIES[c], n] for c, n in stats["by_category"].items()],
        "按渠道": [["渠道代码", "渠道", "线索数"]] + [[c, CHANNELS[c], n] for c, n in stats["by_channel"].items()],
        "按月份": [["月份", "线索数", *CATEGORIES.values()]]
        + [[m, stats["by_month"][m], *stats["by_month_category"][m].values()] for m in months],
        "按状态": [["状态代码", "状态", "线索数"]] + [[s, TIP_LABELS[TipStatus(s)], n] for s, n in stats["by_status"].items()],
        "汇总": [["指标", "数值"], ["线索总数", stats["total"]], ["未办结", stats["open"]],
               ["涉及电话的线索", stats["with_numbers"]], ["电话号码数", stats["numbers"]],
               ["其中本网号码", stats["own_line_numbers"]], ["生成告警", stats["alerts"]]],
    }  # fmt: skip


def to_csv(stats: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for name, rows in tables(stats).items():
        writer.writerow([f"# {name}"])
        writer.writerows(rows)
        writer.writerow([])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(stats: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in tables(stats).items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.column_dimensions["A"].width = 14
        ws.column_dimensions["B"].width = 36
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
