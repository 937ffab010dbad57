"""Counter checks arriving at once, as at 200 checks/s from several web workers: every one is stored with its
audit event, and the hash chain still verifies (gap-free seq, each event linked to the one before)."""

from __future__ import annotations

import threading
from datetime import date

from onboarding.onboarding_support import clerk, make_id


def test_concurrent_checks_keep_the_audit_chain_whole(engine, gate, registry):
    from fanzha.casework.audit import service as audit
    from fanzha.casework.audit.models import AuditEvent
    from fanzha.casework.onboarding import flows
    from fanzha.casework.onboarding.models import OnboardingCheck
    from fanzha.casework.onboarding.schemas import CheckRequest
    from fanzha.db import session_scope
    from sqlalchemy import func, select

    threads, per_thread = 6, 8
    start = threading.Barrier(threads)
    errors: list[Exception] = []

    def counter(t: int) -> None:
        who = clerk(f"clerk{t}", shop=("S001", "S002", "S003")[t % 3])
        start.wait()
        for k in range(per_thread):
            body = CheckRequest(id_no=make_id("421202", date(1980, 1, 1 + t), seq=k + 1), name="陈静",
                                purpose="本人使用")  # fmt: skip
            try:
                with session_scope(engine) as db:
                    flows.submit_check(db, gate=gate, actor=who, request=body)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    workers = [threading.Thread(target=counter, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    with session_scope(engine) as db:
        checks = db.execute(select(func.count()).select_from(OnboardingCheck)).scalar()
        events = db.execute(select(func.count(), func.min(AuditEvent.seq), func.max(AuditEvent.seq))
                            .where(AuditEvent.action == "onboarding.check")).one()  # fmt: skip
        result = audit.verify(db, key=gate.key)
    assert checks == threads * per_thread
    assert events[0] == threads * per_thread
    assert result.ok, result.problems
    assert result.checked == result.head_seq >= threads * per_thread


def test_audit_record_links_to_the_previous_event_and_moves_the_head(engine, gate):
    from fanzha.casework.audit import service as audit
    from fanzha.casework.audit.models import AuditEvent, AuditHead
    from fanzha.casework.auth.principal import Principal
    from fanzha.db import session_scope

    with session_scope(engine) as db:
        first = audit.record(db, key=gate.key, actor=Principal.system("t"), action="t.one", detail={"n": 1})
        second = audit.record(db, key=gate.key, actor=Principal.system("t"), action="t.two", subject_id=7)
    with session_scope(engine) as db:
        rows = {e.seq: e for e in db.query(AuditEvent).filter(AuditEvent.seq.in_([first.seq, second.seq]))}
        head = db.get(AuditHead, 1)
        assert second.seq == first.seq + 1
        assert rows[second.seq].prev_hash == rows[first.seq].hash == first.hash
        assert (head.seq, head.hash) == (second.seq, second.hash) == (second.seq, rows[second.seq].hash)
        assert rows[second.seq].subject_id == "7" and rows[first.seq].detail == '{"n":1}'
        assert audit.verify(db, key=gate.key).ok


def test_a_burst_beyond_the_connection_pool_waits_instead_of_deadlocking(make_user, api_headers, web_app):
    """More checks at once than pooled connections and worker threads: each request runs its dependencies and
    its endpoint in separate thread hops, holding its connection in between. Without the gate in ``get_db``,
    threads blocked on the pool and connections held by requests waiting for a thread deadlocked until the
    pool's timeout (500 errors); with it, every check answers."""
    import asyncio

    import anyio.to_thread
    import httpx
    from sqlalchemy.orm import sessionmaker

    from fanzha.casework.registry.models import Shop
    from fanzha.db import make_engine, session_scope

    with session_scope(web_app.state.engine) as db:
        db.add(Shop(shop_id="S001"))
    make_user("burst", roles=["clerk"], shops=["S001"])
    headers = api_headers("burst")
    small = make_engine(str(web_app.state.engine.url.render_as_string(hide_password=False)), pool_size=2,
                        max_overflow=0, pool_timeout=3)  # fmt: skip
    web_app.state.engine, web_app.state.sessionmaker = small, sessionmaker(bind=small, expire_on_commit=False)

    async def burst() -> list[int]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 4
        transport = httpx.ASGITransport(app=web_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            bodies = [{"id_no": make_id("421202", date(1970, 1, 1 + k % 28), seq=k + 1), "name": "陈静",
                       "purpose": "本人使用"} for k in range(24)]  # fmt: skip
            answers = await asyncio.gather(*(client.post("/api/onboarding/checks", json=b, headers=headers)
                                             for b in bodies))  # fmt: skip
        return [r.status_code for r in answers]

    try:
        assert asyncio.run(burst()) == [200] * 24
    finally:
        small.dispose()
