"""The webhook adapter against a real HTTP server on localhost: retries with backoff, idempotency key honoured."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from fanzha.db import session_scope


class FakeBss:
    """A tiny BSS: applies each order key once, answers 503 for the first ``fail_first`` requests."""

    def __init__(self, fail_first: int = 0):
        self.fail_first = fail_first
        self.requests: list[str] = []
        self.applied: dict[str, dict] = {}
        bss = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers["Idempotency-Key"]
                bss.requests.append(key)
                if len(bss.requests) <= bss.fail_first:
                    return self._reply(503, {"error": "busy"})
                if key in bss.applied:
                    return self._reply(409, {"id": f"BSS-{list(bss.applied).index(key) + 1}"})
                assert body["order_key"] == key
                bss.applied[key] = body
                return self._reply(200, {"id": f"BSS-{len(bss.applied)}"})

            def _reply(self, code, payload):
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/orders"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _settings(db_url, url, **kw):
    from fanzha.config import Settings

    return Settings(bss_adapter="webhook", bss_webhook_url=url, bss_webhook_timeout=5.0, **kw)


def _order(engine, settings, msisdn, actor):
    from fanzha.casework.context import work_context
    from fanzha.casework.measures.service import issue_orders

    with session_scope(engine) as db:
        (order,) = issue_orders(db, ctx=work_context(settings), msisdns=[msisdn], measure="suspend", reason="r",
                                source="test", origin="test:1", actor=actor)  # fmt: skip
        return order.id


def _get(engine, order_id):
    from fanzha.casework.measures.models import MeasureOrder

    with session_scope(engine) as db:
        return db.get(MeasureOrder, order_id)


def test_webhook_retries_with_backoff_until_accepted(engine, db_url, owners, actors):
    from fanzha.casework.measures.dispatch import dispatch_orders
    from fanzha.casework.registry.models import Line

    target = owners[1].msisdns[0]
    with FakeBss(fail_first=2) as bss:
        settings = _settings(db_url, bss.url, bss_retry_base_seconds=30.0)
        oid = _order(engine, settings, target, actors["analyst"])
        first = dispatch_orders(engine, settings=settings)
        o = _get(engine, oid)
        assert first.failed == 1 and o.status == "retrying" and o.attempts == 1 and "503" in o.last_error
        t1 = o.next_attempt_at
        # not due yet: nothing is sent
        assert dispatch_orders(engine, settings=settings).failed == 0 and len(bss.requests) == 1
        from fanzha.casework.context import aware

        t1 = aware(t1)
        dispatch_orders(engine, settings=settings, now=t1 + timedelta(seconds=1))
        o = _get(engine, oid)
        assert o.status == "retrying" and o.attempts == 2
        # the second delay doubles the first (30 s → 60 s)
        gap = aware(o.next_attempt_at) - (t1 + timedelta(seconds=1))
        assert timedelta(seconds=59) <= gap <= timedelta(seconds=61)
        done = dispatch_orders(engine, settings=settings, now=aware(o.next_attempt_at) + timedelta(seconds=1))
        o = _get(engine, oid)
        assert done.sent == 1 and o.status == "done" and o.attempts == 3 and o.external_ref == "BSS-1"
        assert len(bss.requests) == 3 and list(bss.applied) == [o.order_key]
    with session_scope(engine) as db:
        assert db.get(Line, target).status == "suspended"


def test_webhook_crash_after_delivery_is_applied_once(engine, db_url, owners, actors):
    from fanzha.casework.measures.adapters import WebhookAdapter
    from fanzha.casework.measures.dispatch import LEASE_SECONDS, dispatch_orders

    class Crash(BaseException):
        pass

    class CrashAfter(WebhookAdapter):
        def submit(self, order):
            super().submit(order)
            raise Crash

    with FakeBss() as bss:
        settings = _settings(db_url, bss.url)
        oid = _order(engine, settings, owners[1].msisdns[0], actors["analyst"])
        with pytest.raises(Crash):
            dispatch_orders(engine, settings=settings, adapter=CrashAfter(settings))
        o = _get(engine, oid)
        assert o.status == "sending" and len(bss.applied) == 1
        from fanzha.casework.context import aware

        later = aware(o.claimed_at) + timedelta(seconds=LEASE_SECONDS + 1)
        assert dispatch_orders(engine, settings=settings, now=later).sent == 1
        assert bss.requests == [o.order_key, o.order_key] and len(bss.applied) == 1  # 409 the second time
        assert _get(engine, oid).status == "done"


def test_unreachable_bss_gives_up_then_manual_retry(engine, db_url, owners, actors):
    from fanzha.casework.context import work_context
    from fanzha.casework.measures.dispatch import dispatch_orders, request_retry

    with FakeBss() as bss:
        url = bss.url
    # the server is gone now: connection refused
    settings = _settings(db_url, url, bss_retry_base_seconds=0.0, bss_max_attempts=2)
    oid = _order(engine, settings, owners[1].msisdns[0], actors["analyst"])
    dispatch_orders(engine, settings=settings)
    dispatch_orders(engine, settings=settings)
    o = _get(engine, oid)
    assert o.status == "failed" and o.attempts == 2 and "Connect" in o.last_error
    assert dispatch_orders(engine, settings=settings).failed == 0  # no automatic retry any more
    with FakeBss() as bss2:
        s2 = _settings(db_url, bss2.url, bss_retry_base_seconds=0.0, bss_max_attempts=2)
        with session_scope(engine) as db:
            request_retry(db, ctx=work_context(s2), order_id=oid, actor=actors["l2"])
        assert dispatch_orders(engine, settings=s2).sent == 1
        assert len(bss2.applied) == 1 and _get(engine, oid).status == "done"
    with session_scope(engine) as db:
        from fanzha.casework.audit.models import AuditEvent

        assert db.execute(select(AuditEvent.actor).where(AuditEvent.action == "measure.retry")).scalar_one() == "rev2"
