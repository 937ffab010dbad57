"""Roles and permissions. A route or service checks a *permission*, never a role name.

To add a capability: add a member to ``Permission`` and grant it to roles in ``ROLE_PERMISSIONS``.
SECURITY.md lists the table in prose; ``fanzha user roles --help`` prints it.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CLERK = "clerk"  # 营业员: counter work at one shop
    ANALYST = "analyst"  # 分析员: monitoring, alerts, tracing
    REVIEWER_L1 = "reviewer_l1"  # 一级稽核
    REVIEWER_L2 = "reviewer_l2"  # 二级稽核
    REVIEWER_L3 = "reviewer_l3"  # 三级稽核
    SUPERVISOR = "supervisor"  # 反诈督导: oversight, audit trail
    POLICE_LIAISON = "police_liaison"  # 驻警联络员
    MARKET_REGULATOR = "market_regulator"  # 市场监管
    ADMIN = "admin"  # 系统管理员: accounts only, no personal data
    INGEST_SERVICE = "ingest_service"  # 话单接入服务账号: a machine (mediation / SMS gateway), API token only


ROLE_LABELS: dict[Role, str] = {
    Role.CLERK: "营业员",
    Role.ANALYST: "分析员",
    Role.REVIEWER_L1: "一级稽核",
    Role.REVIEWER_L2: "二级稽核",
    Role.REVIEWER_L3: "三级稽核",
    Role.SUPERVISOR: "督导",
    Role.POLICE_LIAISON: "驻警联络",
    Role.MARKET_REGULATOR: "市场监管",
    Role.ADMIN: "系统管理员",
    Role.INGEST_SERVICE: "话单接入(服务账号)",
}


class Permission(StrEnum):
    SESSION = "session"  # own session: home page, logout, own profile, API schema
    LINE_LOOKUP = "line.lookup"  # look up lines and their owners (masked)
    PERSONAL_UNMASK = "personal.unmask"  # see personal data in clear, with a stated purpose (audited)
    AUDIT_READ = "audit.read"  # search the audit trail
    USER_ADMIN = "user.admin"  # manage accounts and roles
    # Capabilities of later issues, granted here so their routes only have to declare them.
    ONBOARDING_CHECK = "onboarding.check"  # counter gate (入网关口)
    ALERT_READ = "alert.read"
    CASE_WORK = "case.work"
    REVIEW_L1 = "review.l1"
    REVIEW_L2 = "review.l2"
    REVIEW_L3 = "review.l3"
    BLACKLIST_MANAGE = "blacklist.manage"
    POLICE_DESK = "police.desk"  # police cooperation desk: query requests, clue batches handed over, feedback
    POLICE_APPROVE = "police.approve"  # decide police query requests (four eyes: never one's own)
    CLUE_EXPORT = "clue.export"  # assemble and export clue batches (线索) for the police
    TIP_MANAGE = "tip.manage"
    KPI_VIEW = "kpi.view"
    EXPORT = "export"
    MONITOR_SUBMIT = "monitor.submit"  # push CDR/SMS batches and opt-outs to the 24×7 monitor (service accounts)


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CLERK: frozenset({P.SESSION, P.LINE_LOOKUP, P.ONBOARDING_CHECK}),
    Role.ANALYST: frozenset({P.SESSION, P.LINE_LOOKUP, P.ALERT_READ, P.CASE_WORK, P.KPI_VIEW}),
    Role.REVIEWER_L1: frozenset({P.SESSION, P.LINE_LOOKUP, P.ALERT_READ, P.CASE_WORK, P.REVIEW_L1}),
    Role.REVIEWER_L2: frozenset(
        {P.SESSION, P.LINE_LOOKUP, P.ALERT_READ, P.CASE_WORK, P.REVIEW_L2, P.PERSONAL_UNMASK}
    ),
    Role.REVIEWER_L3: frozenset(
        {P.SESSION, P.LINE_LOOKUP, P.ALERT_READ, P.CASE_WORK, P.REVIEW_L3, P.PERSONAL_UNMASK}
    ),
    Role.SUPERVISOR: frozenset(
        {P.SESSION, P.LINE_LOOKUP, P.ALERT_READ, P.CASE_WORK, P.KPI_VIEW, P.AUDIT_READ, P.PERSONAL_UNMASK, P.EXPORT,
         P.POLICE_DESK, P.POLICE_APPROVE, P.CLUE_EXPORT}
    ),
    # No personal.unmask: clear data for the police leaves only through a 协查 request a second person approved
    # (police.desk); a purpose the liaison types at /lines would bypass that approval.
    Role.POLICE_LIAISON: frozenset({P.SESSION, P.LINE_LOOKUP, P.POLICE_DESK, P.BLACKLIST_MANAGE, P.EXPORT}),
    Role.MARKET_REGULATOR: frozenset({P.SESSION, P.TIP_MANAGE, P.KPI_VIEW}),
    # Separation of duties: whoever manages accounts does not see personal data.
    Role.ADMIN: frozenset({P.SESSION, P.USER_ADMIN, P.AUDIT_READ, P.KPI_VIEW}),
    # A machine account: it may only hand call records to the monitor, never read anything back.
    Role.INGEST_SERVICE: frozenset({P.SESSION, P.MONITOR_SUBMIT}),
}

# Roles whose holders see only the rows of their own shops (unless they also hold an unscoped role).
SHOP_SCOPED_ROLES: frozenset[Role] = frozenset({Role.CLERK})


def permissions_for(roles) -> frozenset[Permission]:
    out: set[Permission] = set()
    for role in roles:
        out |= ROLE_PERMISSIONS.get(Role(role), frozenset())
    return frozenset(out)


def roles_with(permission: Permission) -> frozenset[Role]:
    return frozenset(r for r, perms in ROLE_PERMISSIONS.items() if permission in perms)
