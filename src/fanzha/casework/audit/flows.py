"""Reading the trail is itself recorded: who searched for what (subject shown masked)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fanzha.casework.audit import service
from fanzha.casework.audit.models import AuditEvent
from fanzha.casework.audit.schemas import AuditQuery
from fanzha.casework.auth.principal import Principal
from fanzha.privacy import redact


def search(session: Session, *, key: bytes, actor: Principal, query: AuditQuery) -> list[AuditEvent]:
    events = service.search(session, query=query)
    filters = {k: (redact(str(v)) if k == "subject_id" else str(v))
               for k, v in query.model_dump(exclude_defaults=True).items()}  # fmt: skip
    service.record(session, key=key, actor=actor, action="audit.search", detail={"filters": filters,
                   "results": len(events)})  # fmt: skip
    return events
