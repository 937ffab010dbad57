"""What each bulk import accepts: its columns with Chinese names and notes, and the template files.

The columns themselves belong to the domains (``reports.service.COLUMNS`` …); this module only says them
in Chinese for people: the notes on the upload pages, the header messages and the templates (a header row
and one example row, as .csv in UTF-8 with BOM so Excel opens it right, or as .xlsx with the notes on a
second sheet). The reader (``registry.sources``) takes the first sheet only, so the notes never import.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    label: str  # Chinese name
    note: str  # format, allowed values
    example: str


@dataclass(frozen=True)
class ImportFormat:
    kind: str
    title: str  # Chinese, names the template file
    columns: tuple[Column, ...]
    required: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def labels(self) -> dict[str, str]:
        return {c.name: c.label for c in self.columns}


def _reports() -> ImportFormat:
    from fanzha.casework.reports import service
    from fanzha.casework.reports.enums import CHANNELS

    channels = "、".join(f"{k}（{v}）" for k, v in CHANNELS.items())
    cols = {
        "report_id": Column("report_id", "举报编号", "每条举报唯一；重复导入同一编号不会重复登记", "12321-20261102-0001"),
        "received_at": Column("received_at", "收到时间", "YYYY-MM-DD HH:MM 或 ISO 8601；不带时区按北京时间", "2026-11-02 10:00"),
        "channel": Column("channel", "举报渠道", f"取值：{channels}", "sms"),
        "reported_number": Column("reported_number", "被举报号码", "手机号或带区号的固定电话", "13307150001"),
        "reporter_number": Column("reporter_number", "举报人号码", "可空", "13900000001"),
        "category": Column("category", "举报人分类", "可空，不超过 32 字", "刷单返利"),
        "content": Column("content", "举报内容", "可空，不超过 5000 字", "对方自称电商客服，要求垫付刷单返利"),
    }
    return ImportFormat("reports", "12321举报导入模板", tuple(cols[c] for c in service.COLUMNS), service.REQUIRED)


def _tips() -> ImportFormat:
    from fanzha.casework.market import service
    from fanzha.casework.market.enums import CATEGORIES, CHANNELS

    cols = {
        "tip_id": Column("tip_id", "线索编号", "每条线索唯一；重复导入同一编号不会重复登记", "12315-20261102-0001"),
        "received_at": Column("received_at", "收到时间", "YYYY-MM-DD HH:MM 或 ISO 8601；不带时区按北京时间", "2026-11-02 09:30"),
        "channel": Column("channel", "来源渠道", "取值：" + "、".join(f"{k}（{v}）" for k, v in CHANNELS.items()), "12315"),
        "category": Column("category", "线索类别", "取值：" + "、".join(f"{k}（{v}）" for k, v in CATEGORIES.items()),
                           "health_claims"),  # fmt: skip
        "subject_name": Column("subject_name", "涉事单位或个人", "可空", "某某养生馆"),
        "phone_numbers": Column("phone_numbers", "涉及号码", "可空；多个号码用空格、逗号或顿号分隔，最多 20 个", "13307150001"),
        "content": Column("content", "线索内容", "必填，不超过 5000 字", "免费体检后推销保健品，称能治疗糖尿病"),
        "reporter_contact": Column("reporter_contact", "举报人联系方式", "可空", "13900000007"),
    }
    return ImportFormat("tips", "市场监管线索导入模板", tuple(cols[c] for c in service.COLUMNS), service.REQUIRED)


def _blacklist() -> ImportFormat:
    from fanzha.casework.blacklist import service

    cols = {
        "id_no": Column("id_no", "证件号码", "18 位居民身份证号码（校验位须正确）；请设为文本格式，以免 Excel 截断", "11010519491231002X"),
        "name": Column("name", "姓名", "必填，不超过 32 字", "张三"),
        "case_no": Column("case_no", "案号", "公安机关认定的案号", "咸公(刑)2026-001"),
        "decided_on": Column("decided_on", "决定日期", "YYYY-MM-DD，不得晚于今天", "2026-01-05"),
        "ban_years": Column("ban_years", "惩戒年限", "1–20 的整数；空则按 5 年", "5"),
        "keep_msisdn": Column("keep_msisdn", "保留号码", "可空；空则保留开户最早的手机号", "13307150002"),
    }
    required = ("id_no", "name", "case_no", "decided_on")
    return ImportFormat("blacklist", "惩戒名单导入模板", tuple(cols[c] for c in service.CONTRACT_COLUMNS), required)


FORMATS = {"reports": _reports, "tips": _tips, "blacklist": _blacklist}


def import_format(kind: str) -> ImportFormat:
    return FORMATS[kind]()


def template_csv(fmt: ImportFormat) -> bytes:
    """Header and the example row, UTF-8 with BOM (Excel on Chinese Windows then shows the Chinese right)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(fmt.names)
    writer.writerow([c.example for c in fmt.columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(fmt: ImportFormat) -> bytes:
    """Sheet 1 "数据": header and the example row, every cell text (ID and phone numbers keep their digits);
    sheet 2 "填写说明": each column's Chinese name, whether it is required, and its format."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    data = book.active
    data.title = "数据"
    data.append(list(fmt.names))
    data.append([c.example for c in fmt.columns])
    for i, col in enumerate(fmt.columns, start=1):
        letter = data.cell(row=1, column=i).column_letter
        data.column_dimensions[letter].width = max(14, len(col.example) * 2)
        for row in (1, 2):
            data.cell(row=row, column=i).number_format = "@"  # text: Excel keeps 18-digit IDs and leading zeros
        data.cell(row=1, column=i).font = Font(bold=True)
    notes = book.create_sheet("填写说明")
    notes.append(["列名（表头照此填写）", "中文含义", "是否必填", "格式与取值"])
    for col in fmt.columns:
        notes.append([col.name, col.label, "必填" if col.name in fmt.required else "可空", col.note])
    for letter, width in zip("ABCD", (22, 16, 10, 70)):
        notes.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
