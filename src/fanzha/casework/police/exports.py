"""The clue package handed to the police: CSV and XLSX of the lines and evidence, a PDF summary, a manifest
with the SHA-256 of every file, and one zip of them all.

The package is written into a temporary folder beside its final place and renamed in one step, so a crash
leaves either no package or a whole one. Numbers are in clear (they are the clue); owners stay masked (the
police ask for identities through a query request, which is approved and audited on its own).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path

from fanzha.casework.alerts.labels import detector_label, severity_label
from fanzha.numbers import carrier_label

LINE_COLUMNS = ["序号", "号码", "类型", "状态", "运营商", "开户时间", "营业厅", "营业员", "机主(脱敏)", "证件号码(脱敏)",
                "来源", "来源编号", "案件编号", "告警类型", "最高得分", "设备组", "原因"]  # fmt: skip
EVIDENCE_COLUMNS = ["号码", "告警类型", "得分", "等级", "事件时间", "原因", "证据(JSON)"]
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class PackageFile:
    name: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class BatchInfo:
    batch_no: str
    title: str
    recipient: str
    note: str
    created_by: str
    created_at: datetime
    exported_by: str
    exported_at: datetime


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def _cst(at) -> str:
    from fanzha.casework.onboarding.notice import _cst as cst  # one formatting of times in documents

    return cst(at) if isinstance(at, datetime) else (at or "")


def line_rows(lines: list) -> list[list]:
    """``lines``: ClueBatchLine rows (evidence JSON snapshot inside), in batch order."""
    from fanzha.casework.measures.enums import line_status_label
    from fanzha.casework.onboarding.rules import line_type_label
    from fanzha.casework.police.enums import SOURCE_LABELS, SourceKind

    rows = []
    for i, ln in enumerate(lines, start=1):
        ev = json.loads(ln.evidence or "{}")
        line, owner, alerts = ev.get("line") or {}, ev.get("owner") or {}, ev.get("alerts") or []
        rows.append([
            i, ln.msisdn, line_type_label(line.get("type")), line_status_label(line.get("status")),
            carrier_label(line.get("carrier")),
            _cst(datetime.fromisoformat(line["open_time"])) if line.get("open_time") else "", line.get("shop_id", ""),
            line.get("clerk_id", ""), owner.get("name", ""), owner.get("id", ""),
            SOURCE_LABELS[SourceKind(ln.source_kind)], ln.source_ref, ln.case_id or "",
            "、".join(sorted({detector_label(a["detector"]) for a in alerts})), max((a["score"] for a in alerts), default=""),
            ev.get("group", ""), "；".join(dict.fromkeys(a["reasons"] for a in alerts if a.get("reasons")))[:500],
        ])  # fmt: skip
    return rows


def evidence_rows(lines: list) -> list[list]:
    rows = []
    for ln in lines:
        for a in json.loads(ln.evidence or "{}").get("alerts") or []:
            rows.append([ln.msisdn, detector_label(a["detector"]), a["score"], severity_label(a["severity"]),
                         _cst(datetime.fromisoformat(a["event_time"])) if a.get("event_time") else "",
                         a.get("reasons", ""), json.dumps(a.get("evidence") or {}, ensure_ascii=False)])  # fmt: skip
    return rows


def _csv(path: Path, header: list[str], rows: list[list]) -> None:
    # UTF-8 with BOM: spreadsheet programs then read the Chinese headers correctly.
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _xlsx(path: Path, info: BatchInfo, lines: list[list], evidence: list[list]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "线索号码"
    for title, header, rows in ((None, LINE_COLUMNS, lines), ("证据", EVIDENCE_COLUMNS, evidence)):
        if title:
            ws = wb.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([str(v) if i == 1 else v for i, v in enumerate(row)])  # numbers stay text (leading zeros)
        ws.freeze_panes = "A2"
    meta = wb.create_sheet("批次信息")
    for k, v in (("批次编号", info.batch_no), ("标题", info.title), ("接收单位", info.recipient), ("说明", info.note),
                 ("创建", f"{info.created_by} {_cst(info.created_at)}"),
                 ("导出", f"{info.exported_by} {_cst(info.exported_at)}"), ("号码数", len(lines))):  # fmt: skip
        meta.append([k, v])
    wb.properties.created = wb.properties.modified = info.exported_at.replace(tzinfo=None)
    wb.save(path)


def summary_html(info: BatchInfo, lines: list[list], evidence: list[list]) -> str:
    from collections import Counter

    from fanzha.casework.onboarding.notice import font_face  # the embedded Noto CJK face of every PDF

    by_source = Counter(r[10] for r in lines)
    by_detector = Counter(r[1] for r in evidence)
    shown = lines[:300]
    rows = "".join("<tr>" + "".join(f"<td>{escape(str(r[i]))}</td>" for i in (0, 1, 3, 6, 10, 12, 13, 14)) + "</tr>"
                   for r in shown)  # fmt: skip
    more = f"<p>（另有 {len(lines) - len(shown)} 个号码见 lines.csv / clues.xlsx）</p>" if len(lines) > len(shown) else ""
    counts = "".join(f"<tr><td>{escape(k)}</td><td>{v}</td></tr>" for k, v in by_source.most_common())
    dets = "".join(f"<tr><td>{escape(k)}</td><td>{v}</td></tr>" for k, v in by_detector.most_common())
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>
{font_face()}
@page {{ size: A4; margin: 16mm; @bottom-center {{ content: "{escape(info.batch_no)} · 第 " counter(page) " 页"; font-size: 8pt; }} }}
body {{ font-family: 'FanzhaCJK', 'Noto Sans CJK SC', sans-serif; font-size: 9.5pt; line-height: 1.5; }}
h1 {{ text-align: center; font-size: 16pt; }}
table {{ border-collapse: collapse; width: 100%; margin: 4pt 0 10pt; }}
td, th {{ border: 0.5pt solid #888; padding: 2pt 4pt; text-align: left; }}
.meta td:first-child {{ width: 25%; background: #f2f2f2; }}
</style></head><body>
<h1>涉诈线索移交清单</h1>
<table class="meta">
<tr><td>批次编号</td><td>{escape(info.batch_no)}</td></tr>
<tr><td>标题</td><td>{escape(info.title)}</td></tr>
<tr><td>接收单位</td><td>{escape(info.recipient)}</td></tr>
<tr><td>说明</td><td>{escape(info.note)}</td></tr>
<tr><td>创建</td><td>{escape(info.created_by)} · {_cst(info.created_at)}</td></tr>
<tr><td>导出</td><td>{escape(info.exported_by)} · {_cst(info.exported_at)}（北京时间）</td></tr>
<tr><td>号码数 / 告警证据数</td><td>{len(lines)} / {len(evidence)}</td></tr>
</table>
<h2>按来源</h2><table>{counts}</table>
<h2>按告警类型</h2><table>{dets or "<tr><td>无</td></tr>"}</table>
<h2>号码清单</h2>
<table><tr><th>序号</th><th>号码</th><th>状态</th><th>营业厅</th><th>来源</th><th>案件</th><th>告警类型</th><th>最高得分</th></tr>{rows}</table>
{more}
<p>本清单随附 lines.csv、evidence.csv、clues.xlsx 与 manifest.json；manifest.json 记录每个文件的 SHA-256，
可用 <code>fanzha police verify</code> 或任一 SHA-256 工具核对文件是否完整未改。机主身份按规定脱敏，如需明文请经协查请求审批。</p>
</body></html>"""


def write_package(root: Path, info: BatchInfo, lines: list) -> tuple[Path, list[PackageFile], str]:
    """Write the package to ``root/<batch_no>/`` atomically. Returns (folder, files incl. the zip, manifest sha)."""
    from weasyprint import HTML

    final = root / info.batch_no
    if final.exists():  # a crash after the rename but before the commit: the database never saw it
        shutil.rmtree(final)
    tmp = root / f".{info.batch_no}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    try:
        lrows, erows = line_rows(lines), evidence_rows(lines)
        _csv(tmp / "lines.csv", LINE_COLUMNS, lrows)
        _csv(tmp / "evidence.csv", EVIDENCE_COLUMNS, erows)
        _xlsx(tmp / "clues.xlsx", info, lrows, erows)
        (tmp / "summary.pdf").write_bytes(HTML(string=summary_html(info, lrows, erows)).write_pdf())
        names = ["lines.csv", "evidence.csv", "clues.xlsx", "summary.pdf"]
        files = [PackageFile(n, sha256_of(tmp / n), (tmp / n).stat().st_size) for n in names]
        manifest = {"batch_no": info.batch_no, "title": info.title, "recipient": info.recipient,
                    "created_at": info.created_at.isoformat(), "exported_at": info.exported_at.isoformat(),
                    "exported_by": info.exported_by, "line_count": len(lrows), "evidence_count": len(erows),
                    "algorithm": "sha256", "files": [f.__dict__ for f in files]}  # fmt: skip
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        manifest_sha = sha256_of(tmp / MANIFEST)
        zip_name = f"{info.batch_no}.zip"
        with zipfile.ZipFile(tmp / zip_name, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for n in [*names, MANIFEST]:
                zf.write(tmp / n, arcname=f"{info.batch_no}/{n}")
        files += [PackageFile(MANIFEST, manifest_sha, (tmp / MANIFEST).stat().st_size),
                  PackageFile(zip_name, sha256_of(tmp / zip_name), (tmp / zip_name).stat().st_size)]  # fmt: skip
        for f in tmp.iterdir():
            os.chmod(f, 0o600)  # personal data: owner-only files
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final, files, manifest_sha


@dataclass
class Verification:
    ok: bool
    checked: int
    problems: list[str]


def verify_manifest(source: Path) -> Verification:
    """Check every file named in a package's manifest against its SHA-256. ``source``: the package folder
    or its zip."""
    if source.is_file() and zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as zf:
            members = {Path(n).name: n for n in zf.namelist()}
            if MANIFEST not in members:
                return Verification(False, 0, ["manifest.json missing"])
            manifest = json.loads(zf.read(members[MANIFEST]))
            read = lambda name: zf.read(members[name]) if name in members else None  # noqa: E731
            return _check(manifest, read)
    path = source / MANIFEST
    if not path.exists():
        return Verification(False, 0, ["manifest.json missing"])
    manifest = json.loads(path.read_text(encoding="utf-8"))
    return _check(manifest, lambda name: (source / name).read_bytes() if (source / name).is_file() else None)


def _check(manifest: dict, read) -> Verification:
    problems, checked = [], 0
    for f in manifest.get("files", []):
        data = read(f["name"])
        checked += 1
        if data is None:
            problems.append(f"{f['name']}: missing")
        elif hashlib.sha256(data).hexdigest() != f["sha256"]:
            problems.append(f"{f['name']}: SHA-256 differs (altered)")
        elif len(data) != f["bytes"]:
            problems.append(f"{f['name']}: size differs")
    return Verification(ok=not problems and checked > 0, checked=checked, problems=problems)


def read_bytes_checked(folder: Path, name: str, sha256: str) -> bytes:
    """A package file's bytes, refused (ValueError) if it no longer matches its recorded hash."""
    data = (folder / name).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"{name}: 文件与登记的 SHA-256 不符，可能已被改动")
    return data

