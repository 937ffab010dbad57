"""Panel tables as CSV (UTF-8 with BOM, so Excel shows 中文) and XLSX (openpyxl).

Text cells that a spreadsheet would run as a formula (=, +, -, @ first) are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from pathlib import Path

from fanzha.supervision.panels import Panel, PanelData

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def table(data: PanelData) -> tuple[list[str], list[list]]:
    """(headers, rows) in column order; an empty panel gives the headers only."""
    headers = [label for _, label in data.columns]
    rows = [[_cell(r.get(key)) for key, _ in data.columns] for r in data.rows]
    return headers, rows


def to_csv(data: PanelData) -> bytes:
    headers, rows = table(data)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _sheet_name(title: str, used: set[str]) -> str:
    name = "".join("_" if c in "[]:*?/\\" else c for c in title)[:28] or "sheet"
    base, n = name, 2
    while name in used:
        name, n = f"{base}{n}", n + 1
    used.add(name)
    return name


def workbook(parts: Iterable[tuple[Panel, PanelData]], *, subtitle: str = "",
             progress: Callable[[Panel], None] | None = None):  # fmt: skip
    """An openpyxl Workbook: one sheet per panel (title, filter line, headers, rows, or 暂无数据)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for panel, data in parts:
        ws = wb.create_sheet(_sheet_name(panel.title, used))
        ws.append([panel.title])
        ws["A1"].font = Font(bold=True, size=13)
        if subtitle:
            ws.append([subtitle])
        if data.is_empty:
            ws.append([f"暂无数据：{data.empty_reason}"])
        else:
            for f in data.figures:
                ws.append([f.label, f.value])
            headers, rows = table(data)
            ws.append([])
            ws.append(headers)
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)
            for row in rows:
                ws.append(row)
            if data.note:
                ws.append([])
                ws.append([data.note])
        for col in ws.columns:
            width = max((len(str(c.value)) for c in col if c.value is not None and c.row > 2), default=8)
            ws.column_dimensions[col[0].column_letter].width = min(max(width * 1.6, 8), 40)
        if progress:
            progress(panel)
    return wb


def to_xlsx(panel: Panel, data: PanelData, *, subtitle: str = "") -> bytes:
    buf = io.BytesIO()
    workbook([(panel, data)], subtitle=subtitle).save(buf)
    return buf.getvalue()


def save_atomic(wb, target: Path) -> None:
    """Write next to the target and rename: a crash never leaves a half-written report under its name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    wb.save(tmp)
    tmp.replace(target)
