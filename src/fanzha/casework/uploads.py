"""A file uploaded through a page (bulk import), kept only while it is imported."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import HTTPException, UploadFile

SUFFIXES = (".csv", ".parquet")


@contextmanager
def saved_upload(upload: UploadFile, *, home: Path) -> Iterator[Path]:
    """The upload as a private temporary file with its suffix (the reader picks CSV or Parquet by it)."""
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise HTTPException(status_code=422, detail="请上传 .csv 或 .parquet 文件 expected a .csv or .parquet file")
    folder = home / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(suffix=suffix, dir=folder)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            while chunk := upload.file.read(1 << 16):
                fh.write(chunk)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def import_upload(request, db, upload: UploadFile, importer, actor) -> dict:
    """Run ``importer`` (import_reports / import_tips) on an uploaded file → {"summary": …} or {"message": …,
    "status_code": 422} for a file that cannot be read as the contract's format."""
    from fanzha.casework.bulk_intake import RowError
    from fanzha.casework.registry.sources import SourceError

    settings = request.app.state.settings
    db.commit()  # end the request's transaction: the import writes through its own sessions
    try:
        with saved_upload(upload, home=settings.home) as path:
            summary = importer(request.app.state.engine, path=path, actor=actor, settings=settings)
    except (RowError, SourceError) as exc:
        return {"message": str(exc), "status_code": 422}
    except Exception as exc:  # noqa: BLE001 — a corrupt file (bad Parquet, bad encoding) is the user's input
        if isinstance(exc, HTTPException):
            raise
        return {"message": f"文件无法读取 the file cannot be read: {type(exc).__name__}", "status_code": 422}
    return {"summary": summary.as_dict()}
