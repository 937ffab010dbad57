"""A file uploaded through a page (bulk import), kept only while it is imported.

Every upload page goes through :func:`run_upload`: the file is saved privately (refused beyond the upload
size limit), handed to the importer, and whatever keeps it from being read (type, encoding, header, size)
comes back as a Chinese sentence for the page, never a traceback or a codec's message. The reading itself
(CSV in UTF-8/GB18030, .xlsx, Parquet) is ``registry.sources``, shared with the CLI.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import UploadFile
from fastapi.responses import Response

from fanzha.casework.import_formats import import_format, template_csv, template_xlsx
from fanzha.casework.registry.sources import KINDS_ZH, SUFFIXES


class UploadError(ValueError):
    """The upload cannot be imported; the message is Chinese and says what to do."""


def megabytes(n: int) -> str:
    return f"{n / 1_000_000:.3g} MB" if n >= 100_000 else f"{n / 1000:.3g} KB"


@contextmanager
def saved_upload(upload: UploadFile, *, home: Path, max_bytes: int) -> Iterator[Path]:
    """The upload as a private temporary file with its suffix (the reader also checks its first bytes)."""
    name = upload.filename or ""
    suffix = Path(name).suffix.lower()
    if not name:
        raise UploadError("请选择要导入的文件")
    if suffix not in SUFFIXES:
        raise UploadError(f"{name}：不支持的文件类型“{suffix or '无扩展名'}”，请上传 {KINDS_ZH} 文件")
    folder = home / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(suffix=suffix, dir=folder)  # mode 0600
    try:
        size = 0
        with os.fdopen(fd, "wb") as fh:
            while chunk := upload.file.read(1 << 16):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadError(f"{name}：文件超过上传大小上限 {megabytes(max_bytes)}，请拆分成多个文件分批导入"
                                      "（更大的文件可由管理员用命令行导入）")  # fmt: skip
                fh.write(chunk)
        if size == 0:
            raise UploadError(f"{name}：文件是空的")
        yield Path(temp)
    finally:
        Path(temp).unlink(missing_ok=True)


def run_upload(request, upload: UploadFile, importer: Callable[[Path, str], object]) -> dict:
    """``importer(path, name)`` on the saved upload → {"summary": …} or {"message": …, "status_code": 422} for
    a file that cannot be imported (the page shows the message and keeps its form)."""
    from fanzha.casework.bulk_intake import RowError
    from fanzha.casework.registry.sources import SourceError

    settings = request.app.state.settings
    try:
        with saved_upload(upload, home=settings.home, max_bytes=settings.max_upload_bytes) as path:
            summary = importer(path, upload.filename or path.name)
    except (UploadError, SourceError, RowError) as exc:
        return {"message": str(exc), "status_code": 422}
    except Exception as exc:  # noqa: BLE001 — a corrupt file (bad Parquet, broken workbook) is the user's input
        if isinstance(exc, UnicodeError | OSError) or type(exc).__module__.startswith(("pyarrow", "openpyxl", "zipfile")):
            return {"message": f"{upload.filename}：文件已损坏或格式有误，无法读取", "status_code": 422}
        raise
    return {"summary": summary}


def import_upload(request, db, upload: UploadFile, importer, actor) -> dict:
    """Run ``importer`` (import_reports / import_tips) on an uploaded file, through :func:`run_upload`."""
    settings = request.app.state.settings
    db.commit()  # end the request's transaction: the import writes through its own sessions
    out = run_upload(request, upload, lambda path, name: importer(
        request.app.state.engine, path=path, actor=actor, settings=settings, name=name))  # fmt: skip
    if "summary" in out:
        out["summary"] = out["summary"].as_dict()
    return out


def upload_context(request, kind: str) -> dict:
    """What an upload form shows: the accepted types, the size limit, the columns with their notes."""
    return {"import_format": import_format(kind), "max_upload": megabytes(request.app.state.settings.max_upload_bytes),
            "max_upload_bytes": request.app.state.settings.max_upload_bytes}  # fmt: skip


def template_response(kind: str, fmt: str) -> Response:
    """The import template of KIND as .csv or .xlsx (a download, named in Chinese)."""
    spec = import_format(kind)
    if fmt == "xlsx":
        body, media = template_xlsx(spec), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, media = template_csv(spec), "text/csv; charset=utf-8"
    filename = f"{spec.title}.{fmt}"
    return Response(body, media_type=media, headers={
        "content-disposition": f"attachment; filename={kind}-template.{fmt}; filename*=UTF-8''{quote(filename)}"})
