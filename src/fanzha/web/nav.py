"""Navigation by role: an entry appears only for users holding its permission.

Later issues add their pages with ``register(NavItem("告警", "/alerts", Permission.ALERT_READ, 30))``
at import time of their views module.
"""

from __future__ import annotations

from dataclasses import dataclass

from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    permission: Permission
    order: int = 100


_ITEMS: dict[str, NavItem] = {}


def register(item: NavItem) -> None:
    _ITEMS[item.path] = item


def visible(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    return sorted((i for i in _ITEMS.values() if principal.can(i.permission)), key=lambda i: (i.order, i.path))


register(NavItem("工作台", "/", Permission.SESSION, 0))
register(NavItem("号码查询", "/lines", Permission.LINE_LOOKUP, 20))
register(NavItem("审计日志", "/audit", Permission.AUDIT_READ, 90))
register(NavItem("账号管理", "/admin/users", Permission.USER_ADMIN, 95))
register(NavItem("修改密码", "/account/password", Permission.SESSION, 99))
