"""Accounts: Argon2 hashes, lockout, sessions, API tokens, roles and shop scoping, the `fanzha user` CLI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from fanzha.casework.audit import service as audit
from fanzha.casework.auth import flows, service
from fanzha.casework.auth.enums import ROLE_PERMISSIONS, Permission, Role
from fanzha.casework.auth.models import ApiToken, AuthSession
from fanzha.casework.auth.principal import Principal
from fanzha.config import get_settings
from fanzha.db import session_scope

SYSTEM = Principal.system("test")
PW = "a-long-enough-password"


@pytest.fixture
def key(db_url):
    return audit.chain_key(get_settings())


def _login(engine, key, username, password):
    with session_scope(engine) as db:
        outcome, token = flows.login(db, key=key, username=username, password=password, client="127.0.0.1",
                                     max_failures=3, lockout=timedelta(minutes=15), lifetime=timedelta(hours=8))  # fmt: skip
        return outcome.reason, outcome.just_locked, token


def test_password_stored_as_argon2id(engine, key):
    with session_scope(engine) as db:
        user = flows.add_user(db, key=key, actor=SYSTEM, username="zhang", password=PW, roles=["analyst"])
        assert user.password_hash.startswith("$argon2id$") and PW not in user.password_hash
    with pytest.raises(service.AccountError):
        service.hash_password("short")


def test_lockout_after_failures_and_unlock_by_passwd(engine, key):
    with session_scope(engine) as db:
        flows.add_user(db, key=key, actor=SYSTEM, username="li", password=PW, roles=["clerk"])
    assert _login(engine, key, "li", "wrong-one-1") == ("bad_password", False, None)
    assert _login(engine, key, "li", "wrong-one-2") == ("bad_password", False, None)
    assert _login(engine, key, "li", "wrong-one-3") == ("bad_password", True, None)
    reason, _, token = _login(engine, key, "li", PW)  # right password, but locked
    assert reason == "locked" and token is None
    with session_scope(engine) as db:
        user = service.get_user(db, username="li")
        user.locked_until = service.now() - timedelta(seconds=1)  # the lockout runs out
    assert _login(engine, key, "li", PW)[0] == "ok"
    for i in range(3):
        _login(engine, key, "li", f"wrong-again-{i}")
    assert _login(engine, key, "li", PW)[0] == "locked"
    with session_scope(engine) as db:
        flows.change_password(db, key=key, actor=SYSTEM, user=service.get_user(db, username="li"), password=PW + "2")
    assert _login(engine, key, "li", PW + "2")[0] == "ok"
    with session_scope(engine) as db:
        actions = [e.action for e in db.execute(select(audit.AuditEvent).order_by(audit.AuditEvent.seq)).scalars()]
    assert actions.count("auth.login_failed") == 8 and actions.count("auth.locked") == 2
    assert actions.count("auth.login") == 2 and "user.password" in actions


def test_unknown_user_and_inactive(engine, key):
    assert _login(engine, key, "ghost", PW)[0] == "unknown"
    with session_scope(engine) as db:
        user = flows.add_user(db, key=key, actor=SYSTEM, username="gone", password=PW, roles=["analyst"])
        user.is_active = False
    assert _login(engine, key, "gone", PW)[0] == "inactive"


def test_session_token_hashed_logout_and_password_change_end_sessions(engine, key):
    with session_scope(engine) as db:
        flows.add_user(db, key=key, actor=SYSTEM, username="wang", password=PW, roles=["analyst"])
    _, _, t1 = _login(engine, key, "wang", PW)
    _, _, t2 = _login(engine, key, "wang", PW)
    idle = timedelta(minutes=30)
    with session_scope(engine) as db:
        stored = [s.token_hash for s in db.execute(select(AuthSession)).scalars()]
        assert t1 not in stored and len(stored) == 2
        assert service.resolve_session(db, token=t1, idle=idle) is not None
        service.end_session(db, token=t1)
    with session_scope(engine) as db:
        assert service.resolve_session(db, token=t1, idle=idle) is None
        assert service.resolve_session(db, token=t2, idle=idle) is not None
        flows.change_password(db, key=key, actor=SYSTEM, user=service.get_user(db, username="wang"), password=PW + "x")
    with session_scope(engine) as db:
        assert service.resolve_session(db, token=t2, idle=idle) is None


def test_api_token_principal_matches_the_user_and_refuses_like_resolve_token(engine, key):
    """The API's one-statement authentication gives the Principal the ORM path gives, and refuses the same."""
    with session_scope(engine) as db:
        user = flows.add_user(db, key=key, actor=SYSTEM, username="desk", password=PW, roles=["clerk", "analyst"],
                              shops=["S001", "S002"])  # fmt: skip
        token = flows.issue_api_token(db, key=key, actor=SYSTEM, user=user, name="tablet", days=1)
    with session_scope(engine) as db:
        fast = service.principal_for_token(db, token=token)
        assert fast == service.principal_for(service.resolve_token(db, token=token), via="token")
        assert fast.shops == {"S001", "S002"} and fast.roles == {Role.CLERK, Role.ANALYST} and fast.via == "token"
        assert service.principal_for_token(db, token=token + "x") is None
    with session_scope(engine) as db:
        (row,) = db.execute(select(ApiToken)).scalars()
        assert row.last_used_at is not None  # marked used
        row.expires_at = service.now() - timedelta(seconds=1)
    with session_scope(engine) as db:
        assert service.principal_for_token(db, token=token) is None
        (row,) = db.execute(select(ApiToken)).scalars()
        row.expires_at = None
        service.get_user(db, username="desk").is_active = False
    with session_scope(engine) as db:
        assert service.principal_for_token(db, token=token) is None
        service.get_user(db, username="desk").is_active = True
        assert service.principal_for_token(db, token=token) is not None
        service.revoke_token(db, prefix=token[:10])
        assert service.principal_for_token(db, token=token) is None


def test_api_token_hashed_expiry_revoke(engine, key):
    with session_scope(engine) as db:
        user = flows.add_user(db, key=key, actor=SYSTEM, username="api", password=PW, roles=["analyst"])
        token = flows.issue_api_token(db, key=key, actor=SYSTEM, user=user, name="etl", days=1)
    with session_scope(engine) as db:
        (row,) = db.execute(select(ApiToken)).scalars()
        assert token.startswith("fz_") and row.token_hash != token and token not in row.token_hash
        assert service.resolve_token(db, token=token).username == "api"
        assert service.resolve_token(db, token=token + "x") is None
        row.expires_at = service.now() - timedelta(seconds=1)
    with session_scope(engine) as db:
        assert service.resolve_token(db, token=token) is None
        (row,) = db.execute(select(ApiToken)).scalars()
        row.expires_at = None
        assert service.resolve_token(db, token=token) is not None
        assert service.revoke_token(db, prefix=token[:10]) == 1
        assert service.resolve_token(db, token=token) is None


def test_roles_and_permissions(engine, key):
    assert set(Role) == set(ROLE_PERMISSIONS)  # every role has a grant list
    assert all(Permission.SESSION in perms for perms in ROLE_PERMISSIONS.values())
    # Separation of duties: the account administrator never sees personal data in clear.
    assert Permission.PERSONAL_UNMASK not in ROLE_PERMISSIONS[Role.ADMIN]
    assert Permission.PERSONAL_UNMASK not in ROLE_PERMISSIONS[Role.CLERK]
    with session_scope(engine) as db:
        user = flows.add_user(db, key=key, actor=SYSTEM, username="multi", password=PW, roles=["clerk", "analyst"],
                              shops=["S9"])  # fmt: skip
        who = service.principal_for(user, via="session")
        assert who.roles == {Role.CLERK, Role.ANALYST} and not who.shop_scoped  # the analyst role widens the view
        flows.change_roles(db, key=key, actor=SYSTEM, user=user, roles=["clerk"])
        who = service.principal_for(user, via="session")
        assert who.shop_scoped and who.shops == {"S9"} and not who.can(Permission.ALERT_READ)
        with pytest.raises(service.AccountError, match="unknown role"):
            flows.change_roles(db, key=key, actor=SYSTEM, user=user, roles=["emperor"])


def test_shop_filter(engine, key):
    from fanzha.casework.auth.scoping import may_see_shop, shop_filter
    from fanzha.casework.registry.models import Line, Shop

    with session_scope(engine) as db:
        db.add_all([Shop(shop_id="A"), Shop(shop_id="B")])
        db.flush()
        db.add_all([Line(msisdn="13300000001", line_type="mobile", shop_id="A"),
                    Line(msisdn="13300000002", line_type="mobile", shop_id="B")])  # fmt: skip
    clerk = Principal(user_id=1, username="c", roles=frozenset({Role.CLERK}), shops=frozenset({"A"}))
    analyst = Principal(user_id=2, username="a", roles=frozenset({Role.ANALYST}))
    with session_scope(engine) as db:
        def seen(p):
            return sorted(db.execute(select(Line.msisdn).where(shop_filter(p, Line.shop_id))).scalars())

        assert seen(clerk) == ["13300000001"]
        assert seen(analyst) == ["13300000001", "13300000002"]
        assert seen(Principal(user_id=3, username="x", roles=frozenset({Role.CLERK}))) == []
    assert may_see_shop(clerk, "A") and not may_see_shop(clerk, "B") and may_see_shop(analyst, None)


def test_demo_users_one_per_role(engine, key):
    with session_scope(engine) as db:
        first = flows.create_demo_users(db, key=key, shop_id="S001")
    assert set(first) == {f"demo_{r.value}" for r in Role}
    assert len(set(first.values())) == len(first)
    with session_scope(engine) as db:
        again = flows.create_demo_users(db, key=key, shop_id="S001")  # re-run resets the passwords
    assert all(again[u] != first[u] for u in first)
    assert _login(engine, key, "demo_clerk", again["demo_clerk"])[0] == "ok"
    assert _login(engine, key, "demo_clerk", first["demo_clerk"])[0] == "bad_password"
    third = flows.setup_demo_accounts(settings=get_settings())  # the demo's entry point
    assert _login(engine, key, "demo_admin", third["demo_admin"])[0] == "ok"


def test_user_cli(db_url, engine, key):
    from fanzha.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["user", "add", "zhao", "-r", "clerk", "--shop", "S001", "--generate"])
    assert r.exit_code == 0, r.output
    password = r.output.split("password (shown once): ")[1].split()[0]
    assert _login(engine, key, "zhao", password)[0] == "ok"
    r = runner.invoke(app, ["user", "roles", "zhao", "--add", "reviewer_l1", "--remove", "clerk"])
    assert r.exit_code == 0 and "roles reviewer_l1" in r.output and "review.l1" in r.output
    r = runner.invoke(app, ["user", "passwd", "zhao"], input="new-password-123\nnew-password-123\n")
    assert r.exit_code == 0, r.output
    assert _login(engine, key, "zhao", "new-password-123")[0] == "ok"
    assert runner.invoke(app, ["user", "add", "zhao", "--generate"]).exit_code == 1  # already exists
    assert runner.invoke(app, ["user", "roles", "nobody", "--add", "clerk"]).exit_code == 1
    r = runner.invoke(app, ["user", "token", "zhao", "--days", "1"])
    assert r.exit_code == 0 and "fz_" in r.output
    token = r.output.split("token (shown once): ")[1].split()[0]
    with session_scope(engine) as db:
        assert service.resolve_token(db, token=token) is not None
    assert runner.invoke(app, ["user", "revoke-token", token[:10]]).exit_code == 0
    with session_scope(engine) as db:
        assert service.resolve_token(db, token=token) is None
    assert runner.invoke(app, ["user", "disable", "zhao"]).exit_code == 0
    assert _login(engine, key, "zhao", "new-password-123")[0] == "inactive"
    with session_scope(engine) as db:
        assert audit.verify(db, key=key).ok
        actors = {e.actor for e in db.execute(select(audit.AuditEvent)).scalars() if e.action.startswith("user.")}
    assert all(a.startswith("cli:") for a in actors)
