"""Accounts: password hashing, users and roles, login sessions, API tokens.

Services take keyword-only arguments and never commit; the caller owns the transaction.
Audited state changes go through ``flows.py``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from fanzha.casework.auth.enums import Role
from fanzha.casework.auth.models import ApiToken, AuthSession, User, UserRole, UserUnit
from fanzha.casework.auth.principal import Principal

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "fz_"


@lru_cache(maxsize=4)
def _hasher_for(time_cost: int, memory_kib: int) -> tuple[PasswordHasher, str]:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=4)
    # Verified against when the username is unknown, so a wrong username costs as long as a wrong password.
    return hasher, hasher.hash("fanzha-timing-equaliser")


def _hasher() -> tuple[PasswordHasher, str]:
    from fanzha.config import get_settings

    s = get_settings()
    return _hasher_for(s.argon2_time_cost, s.argon2_memory_kib)


class AccountError(ValueError):
    """A request about accounts that cannot be honoured; the message is safe to show."""


def now() -> datetime:
    return datetime.now(UTC)


def _aware(at: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes; everything stored is UTC.
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- passwords -------------------------------------------------------------------------------

def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher()[0].hash(password)


def generate_password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, 96 bits


def check_password(*, user: User | None, password: str) -> bool:
    """Constant work whether or not the user exists. Rehashes when the Argon2 parameters were raised."""
    hasher, dummy = _hasher()
    try:
        hasher.verify(user.password_hash if user else dummy, password)
    except (VerificationError, InvalidHashError):
        return False
    if user is None:
        return False
    if hasher.check_needs_rehash(user.password_hash):  # cost raised since: upgrade the stored hash
        user.password_hash = hasher.hash(password)
    return True


# --- users -----------------------------------------------------------------------------------

def get_user(session: Session, *, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def list_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.username)).scalars())


def _roles(roles) -> list[Role]:
    try:
        return sorted({Role(r) for r in roles})
    except ValueError as exc:
        raise AccountError(f"unknown role: {exc}; known: {', '.join(r.value for r in Role)}") from None


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    roles=(),
    shops=(),
    units=(),
    display_name: str | None = None,
) -> User:
    username = username.strip()
    if not username or len(username) > 64 or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise AccountError("username: 1–64 letters, digits, '_', '-' or '.'")
    if get_user(session, username=username) is not None:
        raise AccountError(f"user {username!r} already exists")
    user = User(
        username=username, display_name=display_name, password_hash=hash_password(password), is_active=True,
        failed_logins=0, created_at=now(), password_changed_at=now(),
    )  # fmt: skip
    user.roles = [UserRole(role=r.value) for r in _roles(roles)]
    user.units = [UserUnit(kind="shop", unit_id=s) for s in sorted(set(shops))] + [
        UserUnit(kind="unit", unit_id=u) for u in sorted(set(units))
    ]
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, *, user: User, password: str) -> None:
    """New password; also unlocks the account and ends its sessions (a reset must evict an intruder)."""
    user.password_hash = hash_password(password)
    user.password_changed_at = now()
    user.failed_logins = 0
    user.locked_until = None
    revoke_sessions(session, user=user)


def set_roles(session: Session, *, user: User, roles) -> None:
    wanted = {r.value for r in _roles(roles)}
    user.roles = [r for r in user.roles if r.role in wanted] + [
        UserRole(role=r) for r in sorted(wanted - {x.role for x in user.roles})
    ]
    session.flush()


def set_units(session: Session, *, user: User, shops=(), units=()) -> None:
    user.units = [UserUnit(kind="shop", unit_id=s) for s in sorted(set(shops))] + [
        UserUnit(kind="unit", unit_id=u) for u in sorted(set(units))
    ]
    session.flush()


def principal_for(user: User, *, via: str) -> Principal:
    roles = set()
    for r in user.roles:
        try:
            roles.add(Role(r.role))
        except ValueError:  # a role dropped from the code grants nothing
            continue
    return Principal(
        user_id=user.id, username=user.username, display_name=user.display_name, roles=frozenset(roles),
        shops=frozenset(u.unit_id for u in user.units if u.kind == "shop"),
        units=frozenset(u.unit_id for u in user.units if u.kind == "unit"), via=via,
    )  # fmt: skip


# --- login and lockout -----------------------------------------------------------------------

@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    ok: bool
    reason: str  # ok | unknown | bad_password | locked | inactive
    just_locked: bool = False


def authenticate(
    session: Session, *, username: str, password: str, max_failures: int, lockout: timedelta
) -> LoginOutcome:
    user = get_user(session, username=username.strip()[:64])
    t = now()
    if user is not None and _aware(user.locked_until) and _aware(user.locked_until) > t:
        check_password(user=None, password=password)  # same cost; a locked account reveals nothing
        return LoginOutcome(user, False, "locked")
    good = check_password(user=user, password=password)
    if user is None:
        return LoginOutcome(None, False, "unknown")
    if not user.is_active:
        return LoginOutcome(user, False, "inactive")
    if not good:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= max_failures:
            user.locked_until = t + lockout
            user.failed_logins = 0
            return LoginOutcome(user, False, "bad_password", just_locked=True)
        return LoginOutcome(user, False, "bad_password")
    user.failed_logins = 0
    user.locked_until = None
    return LoginOutcome(user, True, "ok")


# --- browser sessions ------------------------------------------------------------------------

def start_session(session: Session, *, user: User, lifetime: timedelta, client: str | None) -> str:
    """A fresh random token per login (no session fixation); returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    t = now()
    session.add(
        AuthSession(
            token_hash=_sha256(token), user_id=user.id, created_at=t, expires_at=t + lifetime, last_seen_at=t,
            client=(client or "")[:64] or None,
        )  # fmt: skip
    )
    session.flush()
    return token


def resolve_session(session: Session, *, token: str, idle: timedelta) -> tuple[AuthSession, User] | None:
    """The live session behind a cookie, or None when unknown, revoked, expired or idle too long."""
    if not token or len(token) > 128:
        return None
    row = session.execute(select(AuthSession).where(AuthSession.token_hash == _sha256(token))).scalar_one_or_none()
    t = now()
    if row is None or row.revoked_at is not None or _aware(row.expires_at) <= t:
        return None
    if _aware(row.last_seen_at) + idle <= t:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if t - _aware(row.last_seen_at) > timedelta(seconds=60):  # one write a minute, not one per request
        row.last_seen_at = t
    return row, user


def end_session(session: Session, *, token: str) -> AuthSession | None:
    row = session.execute(select(AuthSession).where(AuthSession.token_hash == _sha256(token))).scalar_one_or_none()
    if row is not None and row.revoked_at is None:
        row.revoked_at = now()
    return row


def revoke_sessions(session: Session, *, user: User) -> None:
    for row in session.execute(
        select(AuthSession).where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
    ).scalars():
        row.revoked_at = now()


# --- API tokens ------------------------------------------------------------------------------

def issue_token(session: Session, *, user: User, name: str, days: float | None) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    t = now()
    session.add(
        ApiToken(
            token_hash=_sha256(token), prefix=token[:10], name=name[:64], user_id=user.id, created_at=t,
            expires_at=t + timedelta(days=days) if days else None,
        )  # fmt: skip
    )
    session.flush()
    return token


# One round trip: the token, its user and the user's roles and units. This runs on every API request, so the
# statement is built once (joinedload options make building it cost more than running it).
_TOKEN_WITH_USER = (
    select(ApiToken, User).join(User, User.id == ApiToken.user_id)
    .options(joinedload(User.roles), joinedload(User.units))
    .where(ApiToken.token_hash == bindparam("token_hash"))
)  # fmt: skip


def resolve_token(session: Session, *, token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        return None
    found = session.execute(_TOKEN_WITH_USER, {"token_hash": _sha256(token)}).unique().first()
    t = now()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or (row.expires_at and _aware(row.expires_at) <= t):
        return None
    if not user.is_active:
        return None
    if row.last_used_at is None or t - _aware(row.last_used_at) > timedelta(seconds=60):
        row.last_used_at = t
    return user


def revoke_token(session: Session, *, prefix: str) -> int:
    n = 0
    for row in session.execute(select(ApiToken).where(ApiToken.prefix == prefix)).scalars():
        if row.revoked_at is None:
            row.revoked_at = now()
            n += 1
    return n
