"""Tip rows for pages and the API: labels in Chinese, numbers and contacts masked, content redacted."""

from __future__ import annotations

from fanzha.casework.context import aware
from fanzha.casework.market.enums import CATEGORIES, CHANNELS, INTAKES, TIP_LABELS, TipStatus
from fanzha.casework.market.models import MarketTip
from fanzha.casework.market.schemas import TipNumberOut, TipOut
from fanzha.casework.market.service import NumberLink
from fanzha.privacy import mask_msisdn, redact


def row(t: MarketTip, numbers: list[str] | None = None) -> dict:
    return {
        "id": t.id, "tip_id": t.tip_id, "received_at": aware(t.received_at), "channel": CHANNELS.get(t.channel, t.channel),
        "category": CATEGORIES.get(t.category, t.category), "subject": t.subject_name or "", "content": redact(t.content),
        "contact": t.contact_masked or "", "intake": INTAKES.get(t.intake, t.intake), "intake_by": t.intake_by,
        "status": t.status, "status_label": TIP_LABELS[TipStatus(t.status)], "status_since": aware(t.status_since),
        "assignee": t.assignee or "", "numbers": [mask_msisdn(n) for n in numbers or []],
    }  # fmt: skip


def link_row(link: NumberLink) -> dict:
    return {"msisdn": mask_msisdn(link.msisdn), "own_line": link.own_line, "line_status": link.line_status,
            "alerts": link.alerts, "case_id": link.case_id, "other_tips": link.other_tips}  # fmt: skip


def out(t: MarketTip, links: list[NumberLink], *, created: bool | None = None) -> TipOut:
    return TipOut(
        id=t.id, tip_id=t.tip_id, received_at=aware(t.received_at), channel=t.channel, category=t.category,
        subject_name=t.subject_name, status=t.status, assignee=t.assignee, reporter_contact=t.contact_masked,
        numbers=[TipNumberOut(msisdn=mask_msisdn(n.msisdn), own_line=n.own_line, alerts=n.alerts, case_id=n.case_id)
                 for n in links], created=created,
    )  # fmt: skip
