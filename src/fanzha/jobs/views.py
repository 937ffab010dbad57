"""Job pages: the progress page, the JSON it polls, the result download, and the same status for the API."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse

from fanzha.casework.audit import service as audit
from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.jobs import service
from fanzha.web.deps import Db, RowId, require
from fanzha.web.security import csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
SESSION = Permission.SESSION
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _job(db, job_id: int, who: Principal):
    job = service.get(db, job_id=job_id, actor=who)
    if job is None:
        raise HTTPException(status_code=404, detail="job not found 未找到任务")
    return job


@router.get("/jobs/{job_id}", include_in_schema=False)
def job_page(request: Request, db: Db, job_id: RowId, who: Principal = Depends(require(SESSION))):
    return render(request, "job.html", {"job": service.status(_job(db, job_id, who))})


@router.get("/jobs/{job_id}/progress", include_in_schema=False)
def job_progress(db: Db, job_id: RowId, who: Principal = Depends(require(SESSION))):
    """Polled by static/jobs.js (same-origin, session cookie; a GET changes nothing)."""
    return asdict(service.status(_job(db, job_id, who)))


@router.get("/jobs/{job_id}/result", include_in_schema=False)
def job_result(request: Request, db: Db, job_id: RowId, who: Principal = Depends(require(SESSION))):
    job = _job(db, job_id, who)
    status = service.status(job)
    if status.result_url is None:
        raise HTTPException(status_code=404, detail="no result yet 任务尚无结果")
    audit.record(db, key=request.app.state.audit_key, actor=who, action="job.download", subject_type="job",
                 subject_id=job.id, detail={"kind": job.kind, "file": job.result_name})  # fmt: skip
    path = Path(job.result_path)
    media = XLSX if path.suffix == ".xlsx" else "application/octet-stream"
    return FileResponse(path, media_type=media, filename=job.result_name or path.name)


@router.get("/api/jobs/{job_id}", tags=["jobs"])
def api_job(db: Db, job_id: RowId, who: Principal = Depends(require(SESSION))) -> dict:
    """Progress of one of your long jobs: state, done/total, percent, message, result URL when finished."""
    return asdict(service.status(_job(db, job_id, who)))
