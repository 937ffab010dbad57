"""The monitor's HTTP side: batches pushed with a service-account token go through the same path as a
dropped file; only the service role may push; /metrics and health are public and carry no personal data."""

from __future__ import annotations

import io

import pytest

from monitor_stream import Stream, lines


@pytest.fixture
def monitor_app(web_settings, tmp_path):
    from fanzha.web.app import create_app

    settings = web_settings.model_copy(update={"monitor_drop": tmp_path / "drop", "monitor_settle_seconds": 0.0})
    return create_app(settings)


def test_batch_over_http_is_ingested_like_a_dropped_file(monitor_app, make_user, api_headers, tmp_path):
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from fanzha.casework.audit.models import AuditEvent
    from fanzha.casework.monitor.models import MonitorFile
    from fanzha.db import session_scope
    from fanzha.monitor.service import Monitor

    client = TestClient(monitor_app)
    make_user("mediation", roles=["ingest_service"])
    make_user("analyst1", roles=["analyst"])
    frame = Stream(normal=lines(50), victims=[], fraud=None).frame(range(3))
    body = frame[["record_id", "msisdn", "peer", "direction", "start_time", "duration_s", "cell_id", "imei"]]
    csv = body.to_csv(index=False).encode()
    pq = io.BytesIO()
    sms = body.iloc[:10].rename(columns={"start_time": "send_time"}).drop(columns=["duration_s"])
    sms.to_parquet(pq, index=False)

    assert client.post("/api/monitor/batches", content=csv).status_code == 401
    assert client.post("/api/monitor/batches", content=csv, headers=api_headers("analyst1")).status_code == 403
    svc = api_headers("mediation")
    r = client.post("/api/monitor/batches?kind=cdr", content=csv, headers={**svc, "Content-Type": "text/csv"})
    assert r.status_code == 202 and r.json()["batch"].endswith(".csv")
    r2 = client.post("/api/monitor/batches?kind=sms", content=pq.getvalue(), headers=svc)
    assert r2.status_code == 202 and r2.json()["batch"].endswith(".parquet")
    assert client.post("/api/monitor/batches?kind=voice", content=csv, headers=svc).status_code == 422
    assert client.get("/api/monitor/stats", headers=svc).status_code == 403  # a machine pushes, never reads

    mon = Monitor(drop_dir=monitor_app.state.settings.monitor_drop, settings=monitor_app.state.settings,
                  engine=monitor_app.state.engine, home=tmp_path / "monitor", threads=1)
    try:
        monitor_app.state.monitor = mon
        res = mon.run_once()
        assert res.files == 2 and res.rows == len(frame) + 10
        with session_scope(monitor_app.state.engine) as db:
            files = db.execute(select(MonitorFile)).scalars().all()
            assert {f.origin for f in files} == {"http"} and {f.kind for f in files} == {"cdr", "sms"}
            assert db.execute(select(AuditEvent).where(AuditEvent.action == "monitor.batch")).scalars().all()
        health = client.get("/api/monitor/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        metrics = client.get("/metrics").text
        assert 'fanzha_monitor_rows_total{kind="cdr"}' in metrics
        assert "fanzha_monitor_lag_seconds_bucket" in metrics
        assert not any(m in metrics for m in frame["msisdn"].unique()[:20])
        stats = client.get("/api/monitor/stats?hours=1", headers=api_headers("analyst1")).json()
        assert stats["files"] == 2 and stats["rows_read"] == len(frame) + 10 and stats["people_warned"] == 0
    finally:
        mon.close()


def test_health_without_a_running_monitor_is_503(monitor_app):
    from fastapi.testclient import TestClient

    assert TestClient(monitor_app).get("/api/monitor/health").status_code == 503
