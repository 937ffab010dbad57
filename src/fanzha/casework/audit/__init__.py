"""Audit trail (审计日志): append-only, hash-chained events.

Write with ``fanzha.casework.audit.service.record(session, …)`` inside the transaction that makes the change,
so the event and the change commit or roll back together. ``verify`` walks the chain.
"""
