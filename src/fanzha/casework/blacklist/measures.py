"""Bridge to casework measures: a newly blacklisted person's lines beyond the kept one become proposed measures.

The proposal opens (or joins) a case in the three-level review (casework/measures) and is also recorded in
the audit trail under the blacklist entry, so the police decision and its consequence are linked.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from fanzha.casework.audit import service as audit
from fanzha.casework.auth.principal import Principal
from fanzha.casework.measures.service import propose_measure
from fanzha.privacy import mask_msisdn

MEASURE = "shutdown"  # 断卡: a banned person keeps one line only


def propose_for_blacklisted(db: Session, *, key: bytes, actor: Principal, msisdns: list[str], case_no: str,
                            entry_id: int) -> int:  # fmt: skip
    if not msisdns:
        return 0
    reason = f"公安惩戒名单（案号 {case_no}）：仅保留一个号码，其余号码建议关停"
    proposal = propose_measure(db, msisdns=msisdns, measure=MEASURE, reason=reason, source=f"blacklist:{entry_id}",
                               actor=actor)  # fmt: skip
    audit.record(db, key=key, actor=actor, action="blacklist.measure_proposed", subject_type="blacklist_entry",
                 subject_id=entry_id, detail={"measure": MEASURE, "reason": reason, "case_id": proposal.case_id,
                                              "msisdns": [mask_msisdn(m) for m in msisdns]})  # fmt: skip
    return len(msisdns)

