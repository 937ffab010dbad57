"""Account state changes, each with its audit event in the same transaction."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanzha.casework.audit import service as audit
from fanzha.casework.auth import service
from fanzha.casework.auth.enums import ROLE_LABELS, Role
from fanzha.casework.auth.models import User
from fanzha.casework.auth.principal import Principal


def login(
    session: Session,
    *,
    key: bytes,
    username: str,
    password: str,
    client: str | None,
    max_failures: int,
    lockout: timedelta,
    lifetime: timedelta,
) -> tuple[service.LoginOutcome, str | None]:
    """Check the password and open a session. Returns (outcome, cookie token or None)."""
    outcome = service.authenticate(
        session, username=username, password=password, max_failures=max_failures, lockout=lockout
    )
    name = outcome.user.username if outcome.user else "anonymous"
    actor = Principal(user_id=outcome.user.id if outcome.user else None, username=name, via="session")
    detail = {"client": client, "reason": outcome.reason}
    if not outcome.ok:
        # An unknown username is logged by its length only: it may be someone's password typed in the wrong box.
        if outcome.user is None:
            detail["username_length"] = len(username)
        audit.record(session, key=key, actor=actor, action="auth.login_failed", subject_type="user",
                     subject_id=outcome.user.id if outcome.user else None, detail=detail)  # fmt: skip
        if outcome.just_locked:
            audit.record(session, key=key, actor=actor, action="auth.locked", subject_type="user",
                         subject_id=outcome.user.id, detail={"until": outcome.user.locked_until})  # fmt: skip
        return outcome, None
    token = service.start_session(session, user=outcome.user, lifetime=lifetime, client=client)
    audit.record(session, key=key, actor=actor, action="auth.login", subject_type="user",
                 subject_id=outcome.user.id, detail={"client": client})  # fmt: skip
    return outcome, token


def logout(session: Session, *, key: bytes, actor: Principal, token: str) -> None:
    row = service.end_session(session, token=token)
    if row is not None:
        audit.record(session, key=key, actor=actor, action="auth.logout", subject_type="user", subject_id=actor.user_id)


def add_user(
    session: Session,
    *,
    key: bytes,
    actor: Principal,
    username: str,
    password: str,
    roles=(),
    shops=(),
    units=(),
    display_name: str | None = None,
) -> User:
    user = service.create_user(
        session, username=username, password=password, roles=roles, shops=shops, units=units,
        display_name=display_name,
    )  # fmt: skip
    audit.record(session, key=key, actor=actor, action="user.create", subject_type="user", subject_id=user.id,
                 detail={"username": user.username, "roles": [r.role for r in user.roles],
                         "shops": sorted(shops), "units": sorted(units)})  # fmt: skip
    return user


def change_password(session: Session, *, key: bytes, actor: Principal, user: User, password: str) -> None:
    service.set_password(session, user=user, password=password)
    audit.record(session, key=key, actor=actor, action="user.password", subject_type="user", subject_id=user.id,
                 detail={"username": user.username})  # fmt: skip


def change_own_password(session: Session, *, key: bytes, actor: Principal, current: str, new: str) -> str | None:
    """Self-service change: checks the current password. Returns an error message, or None when done."""
    user = session.get(User, actor.user_id)
    if user is None or not service.check_password(user=user, password=current):
        audit.record(session, key=key, actor=actor, action="user.password_failed", subject_type="user",
                     subject_id=actor.user_id)  # fmt: skip
        return "当前密码不正确 wrong current password"
    try:
        service.set_password(session, user=user, password=new)
    except service.AccountError as exc:
        return str(exc)
    audit.record(session, key=key, actor=actor, action="user.password", subject_type="user", subject_id=user.id,
                 detail={"username": user.username, "self": True})  # fmt: skip
    return None


def unlock(session: Session, *, key: bytes, actor: Principal, user: User) -> None:
    user.locked_until = None
    user.failed_logins = 0
    audit.record(session, key=key, actor=actor, action="user.unlock", subject_type="user", subject_id=user.id,
                 detail={"username": user.username})  # fmt: skip


def change_roles(session: Session, *, key: bytes, actor: Principal, user: User, roles) -> None:
    before = [r.role for r in user.roles]
    service.set_roles(session, user=user, roles=roles)
    audit.record(session, key=key, actor=actor, action="user.roles", subject_type="user", subject_id=user.id,
                 detail={"username": user.username, "before": before, "after": [r.role for r in user.roles]})  # fmt: skip


def change_units(session: Session, *, key: bytes, actor: Principal, user: User, shops=(), units=()) -> None:
    service.set_units(session, user=user, shops=shops, units=units)
    audit.record(session, key=key, actor=actor, action="user.units", subject_type="user", subject_id=user.id,
                 detail={"username": user.username, "shops": sorted(shops), "units": sorted(units)})  # fmt: skip


def issue_api_token(session: Session, *, key: bytes, actor: Principal, user: User, name: str, days: float | None) -> str:
    token = service.issue_token(session, user=user, name=name, days=days)
    audit.record(session, key=key, actor=actor, action="token.issue", subject_type="user", subject_id=user.id,
                 detail={"prefix": token[:10], "name": name, "days": days})  # fmt: skip
    return token


def create_demo_users(session: Session, *, key: bytes, shop_id: str | None = None) -> dict[str, str]:
    """One account per role, ``demo_<role>``, with fresh generated passwords: {username: password}.

    Print the result once and do not store it. Re-running resets the passwords. The clerk belongs to
    ``shop_id`` (default: the first shop in the registry, else ``DEMO``).
    """
    from fanzha.casework.registry.models import Shop

    if shop_id is None:
        shop_id = session.execute(select(Shop.shop_id).order_by(Shop.shop_id).limit(1)).scalar_one_or_none() or "DEMO"
    actor = Principal.system("demo")
    out: dict[str, str] = {}
    for role in Role:
        username = f"demo_{role.value}"
        password = service.generate_password()
        user = service.get_user(session, username=username)
        if user is None:
            add_user(session, key=key, actor=actor, username=username, password=password, roles=[role],
                     shops=[shop_id] if role is Role.CLERK else [], display_name=f"演示{ROLE_LABELS[role]}")  # fmt: skip
        else:
            change_password(session, key=key, actor=actor, user=user, password=password)
        out[username] = password
    return out


def setup_demo_accounts(*, settings, shop_id: str | None = None) -> dict[str, str]:
    """For `fanzha demo`: ``create_demo_users`` in its own transaction on the settings' database.

    Print the result once with ``fanzha.cli.user_cmd.print_accounts(accounts)``.
    """
    from fanzha.casework.audit.service import chain_key
    from fanzha.db import engine_for, session_scope

    with session_scope(engine_for(settings.db_url)) as session:
        return create_demo_users(session, key=chain_key(settings), shop_id=shop_id)
