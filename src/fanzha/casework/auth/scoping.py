"""Row scoping: a clerk sees only the work of their own shop(s).

Use in any query over shop-owned rows::

    stmt = select(Line).where(shop_filter(principal, Line.shop_id))
"""

from __future__ import annotations

from sqlalchemy import false, true
from sqlalchemy.sql.elements import ColumnElement

from fanzha.casework.auth.principal import Principal


def shop_filter(principal: Principal, column) -> ColumnElement[bool]:
    """SQL condition restricting ``column`` (a shop_id column) to what ``principal`` may see."""
    if not principal.shop_scoped:
        return true()
    if not principal.shops:
        return false()  # a clerk without a shop sees nothing rather than everything
    return column.in_(sorted(principal.shops))


def may_see_shop(principal: Principal, shop_id: str | None) -> bool:
    """The same rule for one row already loaded."""
    return not principal.shop_scoped or (shop_id is not None and shop_id in principal.shops)
