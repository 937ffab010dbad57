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
from sqlalchemy import bindparam, event, select, update
from sqlalchemy.orm import Session, joinedload

from fanzha.casework.auth.enums import Role
from fanzha.casework.auth.models import ApiToken, AuthSession, User, UserRole, UserUnit
from fanzha.casework.auth.principal import Principal
from fanzha.db import core, defer_to_commit

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


def resolve_token(session: Session, *, token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        return None
    found = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id)
        .options(joinedload(User.roles), joinedload(User.units))
        .where(ApiToken.token_hash == _sha256(token))
    ).unique().first()  # fmt: skip
    t = now()
    if found is None:
        return None
    row, user = found
    if not _token_usable(row.revoked_at, row.expires_at, user.is_active, t):
        return None
    if _stale_use(row.last_used_at, t):
        row.last_used_at = t
    return user


def _token_usable(revoked_at, expires_at, user_active: bool, t: datetime) -> bool:
    return revoked_at is None and not (expires_at and _aware(expires_at) <= t) and bool(user_active)


def _stale_use(last_used_at, t: datetime) -> bool:
    return last_used_at is None or t - _aware(last_used_at) > timedelta(seconds=60)


# The API's authentication, on every request: one statement, built once, rows not objects (the ORM's joined
# loading of the user's roles and units cost about 1 ms of CPU per request).
_TOKEN_PRINCIPAL = (
    select(ApiToken.id, ApiToken.revoked_at, ApiToken.expires_at, ApiToken.last_used_at, User.id, User.username,
           User.display_name, User.is_active, UserRole.role, UserUnit.kind, UserUnit.unit_id)
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .outerjoin(UserUnit, UserUnit.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)  # fmt: skip
_TOUCH_TOKEN = update(ApiToken).where(ApiToken.id == bindparam("token_id")).values(last_used_at=bindparam("t"))


@event.listens_for(Session, "before_commit")
def _touch_tokens(session: Session) -> None:
    touches = session.info.pop("touch_tokens", {})
    if not touches:
        return
    conn = core(session)
    for token_id, t in touches.items():
        # On PostgreSQL the mark goes out with the COMMIT, after the request's audit event: inside the audit
        # chain's lock it costs no round trip. (Run at once, it sent the held-back event first and then itself:
        # two more round trips under the lock for every request whose token's mark was due; in the load
        # benchmark all tokens fell due together, once a minute, and the checks queued.)
        if conn.dialect.name == "postgresql":
            defer_to_commit(conn, _TOUCH_TOKEN, {"token_id": token_id, "t": t})
        else:
            conn.execute(_TOUCH_TOKEN, {"token_id": token_id, "t": t})


def principal_for_token(session: Session, *, token: str) -> Principal | None:
    """The Principal of a valid API token (as ``principal_for(resolve_token(...), via="token")``), or None.

    Marks the token used (at most once a minute, like ``resolve_token``)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        return None
    rows = core(session).execute(_TOKEN_PRINCIPAL, {"token_hash": _sha256(token)}).all()
    t = now()
    if not rows:
        return None
    token_id, revoked_at, expires_at, last_used_at, user_id, username, display_name, active = rows[0][:8]
    if not _token_usable(revoked_at, expires_at, active, t):
        return None
    if _stale_use(last_used_at, t):
        # Written at commit, with the request's own writes: an UPDATE now would start the write transaction (on
        # SQLite, take the write lock) before the request has even been checked.
        session.info.setdefault("touch_tokens", {})[token_id] = t
    roles, shops, units = set(), set(), set()
    for *_, role, kind, unit_id in rows:
        if role is not None:
            try:
                roles.add(Role(role))
            except ValueError:  # a role dropped from the code grants nothing
                pass
        if kind == "shop":
            shops.add(unit_id)
        elif kind == "unit":
            units.add(unit_id)
    return Principal(user_id=user_id, username=username, display_name=display_name, roles=frozenset(roles),
                     shops=frozenset(shops), units=frozenset(units), via="token")  # fmt: skip


def revoke_token(session: Session, *, prefix: str) -> int:
    n = 0
    for row in session.execute(select(ApiToken).where(ApiToken.prefix == prefix)).scalars():
        if row.revoked_at is None:
            row.revoked_at = now()
            n += 1
    return n
