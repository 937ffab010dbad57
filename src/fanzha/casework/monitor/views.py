"""Monitor endpoints: batches over HTTP (service-account token), opt-outs, health, stats, /metrics.

- ``POST /api/monitor/batches?kind=cdr|sms``: body is one CSV (``text/csv``) or Parquet file of the data
  contract, at most ``FANZHA_MAX_REQUEST_BYTES``; it is written atomically into the drop folder and goes
  through exactly the same path as a dropped file (validation, quarantine, detectors). 202 + its name.
- ``POST /api/monitor/optouts``: ``{"msisdn": ..., "via": "sms"}`` from the SMS gateway (回复TD退订).
- ``GET /api/monitor/health`` (public): the running monitor's state; 503 when stalled or not running.
- ``GET /api/monitor/stats?hours=24``: lag percentiles and people warned, for the dashboard.
- ``GET /metrics`` (public, no personal data): Prometheus text format.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from fanzha.casework.audit import service as audit
from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.monitor import service, warnings
from fanzha.web.deps import Db, public, require

router = APIRouter()
PARQUET_MAGIC = b"PAR1"


def _drop(request: Request):
    drop = request.app.state.settings.monitor_drop
    if drop is None:
        raise HTTPException(status_code=503, detail="monitoring is not configured (FANZHA_MONITOR_DROP) 未配置实时监测")
    return drop


@router.post("/api/monitor/batches", status_code=202)
async def submit_batch(request: Request, db: Db, kind: str = Query("cdr", pattern="^(cdr|sms)$"),
                       who: Principal = Depends(require(Permission.MONITOR_SUBMIT))):
    """Hand one batch of call records to the monitor (same validation as a dropped file)."""
    body = await request.body()
    if not body.strip():
        raise HTTPException(status_code=422, detail="empty batch 批次为空")
    ext = ".parquet" if body[:4] == PARQUET_MAGIC else ".csv"
    folder = _drop(request) / kind
    folder.mkdir(parents=True, exist_ok=True)
    name = f"http-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}{ext}"
    tmp = folder / f".{name}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(body)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, folder / name)  # the monitor never sees a half-written batch
    audit.record(db, key=request.app.state.audit_key, actor=who, action="monitor.batch", subject_type="batch",
                 subject_id=name, detail={"kind": kind, "bytes": len(body)})
    return {"batch": name, "kind": kind, "bytes": len(body)}


class OptOutIn(BaseModel):
    msisdn: str = Field(pattern=r"^\+?[0-9]{5,20}$")
    via: str = Field(default="sms", pattern=r"^[a-z_]{1,32}$")


@router.post("/api/monitor/optouts")
def add_optout(body: OptOutIn, request: Request, db: Db, who: Principal = Depends(require(Permission.MONITOR_SUBMIT))):
    """A subscriber asked not to receive fraud warnings (e.g. replied TD to the warning SMS)."""
    new = warnings.opt_out(db, msisdn=body.msisdn, via=body.via)
    audit.record(db, key=request.app.state.audit_key, actor=who, action="monitor.optout", subject_type="msisdn",
                 subject_id=body.msisdn[-4:], detail={"via": body.via, "new": new})
    return {"opted_out": True, "new": new}


# A probe, like /metrics: kept out of the API schema; 503 while no monitor runs or it has stalled.
@router.get("/api/monitor/health", include_in_schema=False)
def health(request: Request, db: Db, who: Principal | None = Depends(public())):
    mon = getattr(request.app.state, "monitor", None)
    if mon is None:
        return JSONResponse({"status": "not_running"}, status_code=503)
    state = mon.health()
    return JSONResponse(state, status_code=200 if state["status"] != "stalled" else 503)


@router.get("/api/monitor/stats")
def stats(db: Db, hours: float = Query(24.0, gt=0, le=24 * 366),
          who: Principal = Depends(require(Permission.ALERT_READ))):
    """Lag from file arrival to alerts (p50/p95/p99) and people warned over the last ``hours``."""
    until = datetime.now(UTC) + timedelta(seconds=1)
    since = until - timedelta(hours=hours)
    return {**service.lag_stats(db, since, until), "people_warned": warnings.people_warned(db, since, until),
            "since": since.isoformat(), "until": until.isoformat()}


@router.get("/metrics", include_in_schema=False)
def metrics(who: Principal | None = Depends(public())):
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    import fanzha.monitor.metrics  # noqa: F401  (the monitor's metrics exist even before its first file)

    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
