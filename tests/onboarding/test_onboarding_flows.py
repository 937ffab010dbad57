"""Checklist steps in order with times, L2 review, the signed notice as a PDF with selectable Chinese text."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from datetime import date

import pytest

from onboarding.onboarding_support import clerk, make_id, reviewer, years_ago


def signature_png(width: int = 120, height: int = 40) -> bytes:
    """A real (tiny) PNG: a diagonal stroke, as the pad would send."""
    rows = b"".join(b"\x00" + bytes(0 if abs(x * height // width - y) < 2 else 255 for x in range(width))
                    for y in range(height))  # fmt: skip

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))  # fmt: skip


def submit(engine, gate, id_no, *, count=1, who=None) -> int:
    from fanzha.casework.onboarding import flows
    from fanzha.casework.onboarding.schemas import CheckRequest
    from fanzha.db import session_scope

    body = CheckRequest(id_no=id_no, name="陈静", lines=[{"line_type": "mobile", "count": count}], purpose="本人使用")
    with session_scope(engine) as db:
        return flows.submit_check(db, gate=gate, actor=who or clerk(), request=body).check_id


def test_checklist_in_order_then_signed_notice_pdf(engine, gate, registry, tmp_path):
    from fanzha.casework.onboarding import flows
    from fanzha.db import session_scope

    check_id = submit(engine, gate, make_id("421202", date(1988, 8, 8), 51))
    steps = gate.rules.checklist.steps
    with session_scope(engine) as db:
        with pytest.raises(flows.GateError, match="下一步是「一观察」"):
            flows.record_step(db, gate=gate, actor=clerk(), check_id=check_id, step=steps[1].key)
    with session_scope(engine) as db:
        with pytest.raises(flows.GateError, match="请先完成核验步骤"):
            flows.sign_notice(db, gate=gate, actor=clerk(), check_id=check_id, signature_png=signature_png())
    with session_scope(engine) as db:
        with pytest.raises(flows.NotFound):  # another shop's clerk does not see it
            flows.record_step(db, gate=gate, actor=clerk("other", "S002"), check_id=check_id, step=steps[0].key)
    for s in steps:
        with session_scope(engine) as db:
            flows.record_step(db, gate=gate, actor=clerk(), check_id=check_id, step=s.key)
    with session_scope(engine) as db:
        flows.sign_notice(db, gate=gate, actor=clerk(), check_id=check_id, signature_png=signature_png())
    with session_scope(engine) as db:
        result = flows.result_of(db, gate=gate, check=flows.load(db, actor=clerk(), check_id=check_id))
        assert result.status == "completed" and result.notice_signed
        times = [s.done_at for s in result.steps]
        assert all(times) and times == sorted(times)
        pdf = flows.get_notice(db, gate=gate, actor=clerk(), check_id=check_id).pdf
    assert pdf.startswith(b"%PDF-")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    (tmp_path / "n.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "n.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert "防范电信网络诈骗承诺书" in text and "陈静" in text and "不出租、出借、出售" in text
    assert "4212**********" in text and steps[0].label in text
    fonts = subprocess.run(["pdffonts", str(tmp_path / "n.pdf")], capture_output=True, text=True).stdout
    assert "CJK" in fonts and " yes " in fonts  # the CJK font is embedded
    with session_scope(engine) as db:
        with pytest.raises(flows.GateError):  # signed once only
            flows.sign_notice(db, gate=gate, actor=clerk(), check_id=check_id, signature_png=signature_png())


def test_escalation_is_decided_by_another_person_in_l2(engine, gate, registry):
    from fanzha.casework.onboarding import flows
    from fanzha.db import session_scope

    check_id = submit(engine, gate, make_id("421202", years_ago(20), 61), count=3)
    with session_scope(engine) as db:
        assert [c.id for c in flows.review_queue(db)] == [check_id]
        with pytest.raises(flows.GateError, match="不能继续办理"):  # no checklist while waiting
            flows.record_step(db, gate=gate, actor=clerk(), check_id=check_id, step="observe")
    with session_scope(engine) as db:
        with pytest.raises(flows.GateError, match="双人复核"):
            flows.review(db, gate=gate, actor=reviewer("clerk1"), check_id=check_id, approve=True)
    with session_scope(engine) as db:
        flows.review(db, gate=gate, actor=reviewer(), check_id=check_id, approve=True, note="学生本人，家长陪同")
    with session_scope(engine) as db:
        assert flows.review_queue(db) == []
        with pytest.raises(flows.GateError):  # decided once
            flows.review(db, gate=gate, actor=reviewer(), check_id=check_id, approve=False)
    with session_scope(engine) as db:
        flows.record_step(db, gate=gate, actor=clerk(), check_id=check_id, step="observe")  # approved: go on
        result = flows.result_of(db, gate=gate, check=flows.load(db, actor=clerk(), check_id=check_id))
    assert result.status == "approved" and result.reviewer == "rev2" and result.steps[0].done_at is not None


def test_refused_check_cannot_proceed(engine, gate, registry):
    from fanzha.casework.onboarding import flows
    from fanzha.db import session_scope

    check_id = submit(engine, gate, make_id("421202", years_ago(12), 71))
    with session_scope(engine) as db:
        with pytest.raises(flows.GateError):
            flows.record_step(db, gate=gate, actor=clerk(), check_id=check_id, step="observe")
        with pytest.raises(flows.GateError):
            flows.review(db, gate=gate, actor=reviewer(), check_id=check_id, approve=True)


def test_signature_must_be_a_png_data_url():
    import base64

    from fanzha.casework.onboarding.flows import GateError, decode_signature

    png = signature_png()
    assert decode_signature("data:image/png;base64," + base64.b64encode(png).decode()) == png
    for bad in ("", "data:image/svg+xml;base64,PHN2Zz4=", "data:image/png;base64,!!!",
                "data:image/png;base64," + base64.b64encode(b"GIF89a" + b"0" * 200).decode()):  # fmt: skip
        with pytest.raises(GateError):
            decode_signature(bad)


def test_rules_file_switches_checklist_and_is_validated(tmp_path, monkeypatch):
    from fanzha.casework.onboarding.rules import DEFAULT_RULES, load_rules

    text = DEFAULT_RULES.read_text(encoding="utf-8").replace('active = "telecom"', 'active = "unicom"')
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("FANZHA_ONBOARDING_RULES", str(path))
    rules = load_rules()
    assert rules.checklist.name == "unicom" and [s.label for s in rules.checklist.steps][-1] == "签署承诺书"
    assert load_rules(DEFAULT_RULES).checklist.name == "telecom"
    assert [s.label for s in load_rules(DEFAULT_RULES).checklist.steps] == ["一观察", "二询问", "三查询", "四提醒", "五确认", "六上报"]
    path.write_text(text.replace('active = "unicom"', 'active = "mobile"'), encoding="utf-8")
    with pytest.raises(ValueError, match="checklist.active"):
        load_rules(path)
