"""Bridge to casework actions: a newly blacklisted person's lines beyond the kept one become proposed measures.

``propose_measure`` lives in casework/actions (another branch). Until it is on main, the proposal is written
to the audit trail only, so nothing is lost and the call site does not change when it lands.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from fanzha.casework.audit import service as audit
from fanzha.casework.auth.principal import Principal
from fanzha.privacy import mask_msisdn

MEASURE = "shutdown"  # 断卡: a banned person keeps one line only


def _propose_measure():
    for module in ("fanzha.casework.actions.service", "fanzha.casework.actions"):
        try:
            mod = __import__(module, fromlist=["propose_measure"])
        except ImportError:
            continue
        fn = getattr(mod, "propose_measure", None)
        if fn is not None:
            return fn
    return None


def propose_for_blacklisted(db: Session, *, key: bytes, actor: Principal, msisdns: list[str], case_no: str,
                            entry_id: int) -> int:  # fmt: skip
    if not msisdns:
        return 0
    reason = f"公安惩戒名单（案号 {case_no}）：仅保留一个号码，其余号码建议关停"
    propose = _propose_measure()
    if propose is not None:
        propose(db, msisdns=msisdns, measure=MEASURE, reason=reason, source=f"blacklist:{entry_id}", actor=actor)
    else:
        audit.record(db, key=key, actor=actor, action="blacklist.measure_proposed", subject_type="blacklist_entry",
                     subject_id=entry_id, detail={"measure": MEASURE, "reason": reason,
                                                  "msisdns": [mask_msisdn(m) for m in msisdns]})  # fmt: skip
    return len(msisdns)
