"""Who is acting: the resolved identity handed to services and views (never the ORM row)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fanzha.casework.auth.enums import SHOP_SCOPED_ROLES, Permission, Role, permissions_for


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    username: str
    roles: frozenset[Role] = frozenset()
    shops: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()
    display_name: str | None = None
    via: str = "session"  # session | token | cli | system
    permissions: frozenset[Permission] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "permissions", permissions_for(self.roles))

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def shop_scoped(self) -> bool:
        """True when every role held is shop-scoped: such a user sees only their shops' rows."""
        return bool(self.roles) and all(r in SHOP_SCOPED_ROLES for r in self.roles)

    @classmethod
    def system(cls, name: str = "system") -> Principal:
        """The actor for CLI and batch jobs (audited under this name)."""
        return cls(user_id=None, username=name, via="cli")
