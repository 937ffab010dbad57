"""Police query requests on SQLite and PostgreSQL: submit, four-eyes approval, scope, masking, validity, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from police_seed import FRAUD, FRAUD_IMEI, SECOND, who


@pytest.fixture
def people():
    from fanzha.casework.auth.enums import Role

    return {"officer": who("jingguan", Role.POLICE_LIAISON), "boss": who("dudao", Role.SUPERVISOR),
            "boss2": who("dudao2", Role.SUPERVISOR), "analyst": who("ana", Role.ANALYST)}  # fmt: skip


def _ctx(settings):
    from fanzha.casework.context import work_context

    ctx = work_context(settings)
    return ctx.key, ctx.protector


def _request(subject_type="msisdn", subject=FRAUD, scopes=("owner", "lines", "calls", "devices", "opening", "alerts"),
             clear=False):  # fmt: skip
    from fanzha.casework.police.schemas import QueryRequest

    return QueryRequest(subject_type=subject_type, subject=subject, case_no="A4212022611000123",
                        legal_basis="《刑事诉讼法》第五十四条", purpose=f"侦办电信诈骗案，核查 {FRAUD} 机主",
                        scopes=list(scopes), clear=clear)  # fmt: skip


def _decide(approve=True, **kw):
    from fanzha.casework.police.schemas import QueryDecision

    return QueryDecision(approve=approve, note=kw.pop("note", "依据充分，同意"), **kw)


def test_approved_query_shows_only_granted_scopes_masked(engine, settings, world, people):
    from fanzha.casework.audit.models import AuditEvent
    from fanzha.casework.audit.service import verify
    from fanzha.casework.police import flows
    from fanzha.db import session_scope

    key, protector = _ctx(settings)
    stores = settings.record_stores
    with session_scope(engine) as db:
        q = flows.submit(db, key=key, protector=protector, actor=people["officer"], body=_request())
        qid = q.id
        assert q.subject_masked == "133****0001" and FRAUD not in q.purpose  # redacted at rest
    with session_scope(engine) as db:
        flows.decide(db, key=key, actor=people["boss"], query_id=qid,
                     body=_decide(scopes=["owner", "lines", "calls", "devices", "opening"]))  # alerts left out
    with session_scope(engine) as db:
        res = flows.view_result(db, key=key, protector=protector, actor=people["officer"], query_id=qid, stores=stores)
    sections = {s.scope: s for s in res.sections}
    assert list(sections) == ["owner", "lines", "calls", "devices", "opening"]
    assert res.clear is False
    owner = sections["owner"].rows[0]
    assert owner[0] == "张**" and owner[1] == world.owner_id[:4] + "**********" + world.owner_id[-4:]
    assert [r[0] for r in sections["lines"].rows] == ["133****0001", "133****0002"]
    calls = sections["calls"].rows
    assert len(calls) == 1 and calls[0][0] == "133****0001"
    # 13 records in the 30-day window (the one 60 days earlier is outside); 12 out, 1 in, 9 answered,
    # 5 distinct peers, 1 night call of 13, 2 cells; top peer masked
    assert calls[0][3:9] == [13, 12, 1, 9, 5, 8.0]
    assert calls[0][9] == f"{1 / 13:.1%}" and calls[0][10] == 2
    assert calls[0][11].startswith("139****0000(")
    devices = sections["devices"].rows
    assert [d[1] for d in devices][0] == "35391110*****17" and devices[0][2] == FRAUD_IMEI[:8]
    assert len(devices) == 2  # the old handset is a device too (devices are not windowed)
    opening = sections["opening"].rows[0]
    assert opening[2:6] == ["S001", "咸安营业厅", "C007", "王**"]
    with session_scope(engine) as db:
        actions = [e.action for e in db.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()]
        assert actions[-3:] == ["police.query.submit", "police.query.approve", "police.query.view"]
        assert verify(db, key=key).ok
        text = " ".join(e.detail + (e.purpose or "") for e in db.execute(select(AuditEvent)).scalars())
        assert world.owner_id not in text and FRAUD not in text and "张三丰" not in text


def test_clear_only_when_granted_and_id_subject_covers_all_lines(engine, settings, world, people):
    from fanzha.casework.police import flows
    from fanzha.db import session_scope

    key, protector = _ctx(settings)
    stores = settings.record_stores
    with session_scope(engine) as db:
        q = flows.submit(db, key=key, protector=protector, actor=people["officer"],
                         body=_request("id_no", world.owner_id, scopes=("owner", "lines", "alerts"), clear=True))  # fmt: skip
        qid = q.id
        assert q.subject_masked == world.owner_id[:4] + "**********" + world.owner_id[-4:]
    with session_scope(engine) as db:
        flows.decide(db, key=key, actor=people["boss"], query_id=qid, body=_decide(clear=True))
        res = flows.view_result(db, key=key, protector=protector, actor=people["officer"], query_id=qid, stores=stores)
    sections = {s.scope: s for s in res.sections}
    assert res.clear is True
    assert sections["owner"].rows[0][:2] == ["张三丰", world.owner_id]
    assert [r[0] for r in sections["lines"].rows] == [FRAUD, SECOND]
    assert sections["lines"].rows[0][1:3] == ["手机号码", "正常"]  # codes shown in words
    alerts = sections["alerts"].rows
    assert [a[1] for a in alerts] == ["诈骗呼叫"] and alerts[0][6] == world.case_id


def test_four_eyes_scope_subset_and_clear_only_if_asked(engine, settings, world, people):
    from fanzha.casework.police import flows
    from fanzha.casework.police.service import QueryError
    from fanzha.db import session_scope

    key, protector = _ctx(settings)
    with session_scope(engine) as db:
        own = flows.submit(db, key=key, protector=protector, actor=people["boss"], body=_request(scopes=("owner",)))
        other = flows.submit(db, key=key, protector=protector, actor=people["officer"], body=_request(scopes=("owner",)))
        ids = own.id, other.id
    with session_scope(engine) as db:
        with pytest.raises(QueryError, match="双人复核"):
            flows.decide(db, key=key, actor=people["boss"], query_id=ids[0], body=_decide())
        with pytest.raises(QueryError, match="超出申请范围"):
            flows.decide(db, key=key, actor=people["boss"], query_id=ids[1], body=_decide(scopes=["owner", "calls"]))
        with pytest.raises(QueryError, match="不能批准明文"):
            flows.decide(db, key=key, actor=people["boss"], query_id=ids[1], body=_decide(clear=True))
        with pytest.raises(QueryError, match="无协查审批权限"):
            flows.decide(db, key=key, actor=people["officer"], query_id=ids[1], body=_decide())
        flows.decide(db, key=key, actor=people["boss2"], query_id=ids[0], body=_decide())
    with session_scope(engine) as db:
        flows.decide(db, key=key, actor=people["boss"], query_id=ids[1], body=_decide(approve=False, note="依据不足"))
    with session_scope(engine) as db, pytest.raises(QueryError, match="已处理"):
        flows.decide(db, key=key, actor=people["boss2"], query_id=ids[1], body=_decide())


def test_refused_and_expired_show_nothing_and_only_requester_sees(engine, settings, world, people):
    from fanzha.casework.audit.models import AuditEvent
    from fanzha.casework.police import flows, service
    from fanzha.casework.police.models import PoliceQuery
    from fanzha.casework.police.service import QueryError
    from fanzha.db import session_scope

    key, protector = _ctx(settings)
    stores = settings.record_stores
    with session_scope(engine) as db:
        a = flows.submit(db, key=key, protector=protector, actor=people["officer"], body=_request(scopes=("owner",)))
        b = flows.submit(db, key=key, protector=protector, actor=people["officer"], body=_request(scopes=("owner",)))
        ids = a.id, b.id
    with session_scope(engine) as db:
        flows.decide(db, key=key, actor=people["boss"], query_id=ids[0], body=_decide(approve=False, note="无立案文书"))
        flows.decide(db, key=key, actor=people["boss"], query_id=ids[1], body=_decide(valid_days=1))
    with session_scope(engine) as db:
        with pytest.raises(QueryError, match="未获批准"):
            flows.view_result(db, key=key, protector=protector, actor=people["officer"], query_id=ids[0], stores=stores)
        with pytest.raises(QueryError, match="不是您提交的"):
            flows.view_result(db, key=key, protector=protector, actor=people["boss"], query_id=ids[1], stores=stores)
        q = db.get(PoliceQuery, ids[1])
        q.valid_until = q.valid_until - timedelta(days=2)  # time passes
    with session_scope(engine) as db:
        q = db.get(PoliceQuery, ids[1])
        assert service.status_label(q) == "已过期" and not service.usable(q)
        with pytest.raises(QueryError, match="有效期"):
            flows.view_result(db, key=key, protector=protector, actor=people["officer"], query_id=ids[1], stores=stores)
        refused = db.execute(select(AuditEvent).where(AuditEvent.action == "police.query.view_refused")).scalars().all()
        assert len(refused) == 2


def test_bad_subject_is_a_clear_error(engine, settings, world, people):
    from fanzha.casework.police import flows
    from fanzha.casework.police.service import QueryError
    from fanzha.db import session_scope

    key, protector = _ctx(settings)
    with session_scope(engine) as db:
        with pytest.raises(QueryError, match="证件号码无效"):
            flows.submit(db, key=key, protector=protector, actor=people["officer"],
                         body=_request("id_no", "421202198001010010"))  # wrong check character
        with pytest.raises(QueryError, match="号码无效"):
            flows.submit(db, key=key, protector=protector, actor=people["officer"], body=_request(subject="13x"))
        with pytest.raises(QueryError, match="无警务协查权限"):
            flows.submit(db, key=key, protector=protector, actor=people["analyst"], body=_request())


def test_query_stats_counts_by_outcome(engine, settings, world, people):
    from fanzha.casework.context import utcnow
    from fanzha.casework.police import flows, service
    from fanzha.db import session_scope

    key, protector = _ctx(settings)
    with session_scope(engine) as db:
        ids = [flows.submit(db, key=key, protector=protector, actor=people["officer"],
                            body=_request(scopes=("owner",))).id for _ in range(3)]  # fmt: skip
        flows.decide(db, key=key, actor=people["boss"], query_id=ids[0], body=_decide())
        flows.decide(db, key=key, actor=people["boss"], query_id=ids[1], body=_decide(approve=False, note="不予"))
    now = utcnow()
    with session_scope(engine) as db:
        got = service.query_stats(db, since=now - timedelta(hours=1), until=now + timedelta(hours=1))
        assert (got.requests, got.approved, got.refused, got.pending) == (3, 1, 1, 1)
        assert service.query_stats(db, since=now + timedelta(hours=1), until=now + timedelta(hours=2)).requests == 0
