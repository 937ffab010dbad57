"""With a trained report classifier configured (FANZHA_REPORT_MODEL_DIR), intake classifies with the model.

The model here is trained on a few synthetic texts in the test (the reference data set stays outside the
repository); what is checked is the wiring: the configured model decides, and its class is stored."""

from __future__ import annotations

import pandas as pd
from public_desk_support import OWN

TEXTS = {
    "police_impersonation": "自称{}公安局民警，说你的身份证涉嫌洗钱案，要求把钱转到安全账户配合调查",
    "loan_credit": "{}无抵押低息贷款秒到账，先交手续费和保证金，征信不好也能代办信用卡",
    "fake_customer_service": "自称{}电商平台客服，说快递丢失要理赔，或者要关闭百万保障否则每月扣费",
    "acquaintance_impersonation": "我是你{}领导，换了新号码，明天来办公室找我，先帮我转一笔钱给朋友",
    "normal": "{}今天下午开会讨论项目进度，晚上一起吃饭，记得带上资料",
}
PLACES = ["咸宁", "武汉", "嘉鱼", "通城", "崇阳", "通山", "赤壁", "咸安", "黄石", "鄂州", "孝感", "荆州"]


def test_intake_uses_configured_model(engine, tmp_path, own_lines, actor):
    from fanzha.analytics.reports_text.model import train
    from fanzha.casework.context import work_context
    from fanzha.casework.reports import service
    from fanzha.config import Settings
    from fanzha.db import session_scope

    df = pd.DataFrame([{"content": t.format(p), "label": label} for label, t in TEXTS.items() for p in PLACES])
    train(df, test_size=0.25, seed=1).save(tmp_path / "model")
    ctx = work_context(Settings(report_model_dir=tmp_path / "model"))
    with session_scope(engine) as db:
        out = service.intake(db, ctx=ctx, actor=actor, via="api", data=service.validate({
            "report_id": "M1", "received_at": "2026-11-02T10:00:00+08:00", "channel": "call",
            "reported_number": OWN[0], "content": "自称客服，说要关闭百万保障服务，不然每月扣费"}))  # fmt: skip
        assert out.report.classified_by == "model"
        assert out.report.fraud_type == "fake_customer_service"
        assert 0.0 < out.report.fraud_prob <= 1.0
