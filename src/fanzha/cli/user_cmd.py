"""fanzha user …: accounts, roles, API tokens (every change is an audit event)."""

from __future__ import annotations

import typer

from fanzha.cli import app
from fanzha.config import get_settings

user_app = typer.Typer(help="账号 Accounts: add users, set passwords and roles, issue API tokens.", no_args_is_help=True)
app.add_typer(user_app, name="user")

ROLE_HELP = "role (repeat for several): clerk, analyst, reviewer_l1, reviewer_l2, reviewer_l3, supervisor, police_liaison, market_regulator, admin"


def _ctx():
    from fanzha.casework.audit.service import chain_key
    from fanzha.casework.auth.principal import Principal
    from fanzha.db import get_engine, session_scope

    settings = get_settings()
    import getpass

    actor = Principal.system(f"cli:{getpass.getuser()}")
    return session_scope(get_engine()), chain_key(settings), actor


def _password(generate: bool) -> tuple[str, bool]:
    from fanzha.casework.auth.service import generate_password

    if generate:
        return generate_password(), True
    return typer.prompt("password 密码", hide_input=True, confirmation_prompt=True), False


def _user(db, username: str):
    from fanzha.casework.auth.service import get_user

    user = get_user(db, username=username)
    if user is None:
        typer.echo(f"no such user: {username}", err=True)
        raise typer.Exit(1)
    return user


@user_app.command("add")
def add(
    username: str = typer.Argument(..., help="login name: letters, digits, '_', '-', '.'"),
    role: list[str] = typer.Option([], "--role", "-r", help=ROLE_HELP),
    shop: list[str] = typer.Option([], "--shop", help="shop (营业厅) id the user belongs to; clerks see only these"),
    unit: list[str] = typer.Option([], "--unit", help="other unit id (e.g. police unit)"),
    display_name: str = typer.Option(None, "--name", help="display name shown on pages"),
    generate: bool = typer.Option(False, "--generate", help="generate a password and print it once (else prompt)"),
) -> None:
    """Create a user."""
    from fanzha.casework.auth import flows
    from fanzha.casework.auth.service import AccountError

    password, show = _password(generate)
    scope, key, actor = _ctx()
    try:
        with scope as db:
            flows.add_user(db, key=key, actor=actor, username=username, password=password, roles=role,
                           shops=shop, units=unit, display_name=display_name)  # fmt: skip
    except AccountError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"user {username} created with roles: {', '.join(sorted(set(role))) or '(none)'}")
    if show:
        typer.echo(f"password (shown once): {password}")


@user_app.command("passwd")
def passwd(
    username: str = typer.Argument(..., help="login name"),
    generate: bool = typer.Option(False, "--generate", help="generate a password and print it once (else prompt)"),
) -> None:
    """Set a new password; also unlocks the account and signs out its sessions."""
    from fanzha.casework.auth import flows
    from fanzha.casework.auth.service import AccountError

    password, show = _password(generate)
    scope, key, actor = _ctx()
    try:
        with scope as db:
            flows.change_password(db, key=key, actor=actor, user=_user(db, username), password=password)
    except AccountError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"password of {username} changed; account unlocked, sessions ended")
    if show:
        typer.echo(f"password (shown once): {password}")


def _roles_help() -> str:
    from fanzha.casework.auth.enums import ROLE_LABELS, ROLE_PERMISSIONS

    lines = ["Show or change a user's roles (and shops); prints the permissions that result.", "", "Roles:", ""]
    for role, perms in ROLE_PERMISSIONS.items():
        lines.append(f"{role.value} ({ROLE_LABELS[role]}): {', '.join(sorted(perms))}")
        lines.append("")
    return "\n".join(lines)


@user_app.command("roles", help=_roles_help())
def roles(
    username: str = typer.Argument(..., help="login name"),
    add: list[str] = typer.Option([], "--add", "-a", help="grant a role (repeatable)"),
    remove: list[str] = typer.Option([], "--remove", "-d", help="withdraw a role (repeatable)"),
    shop: list[str] = typer.Option(None, "--shop", help="replace the user's shops with these (repeatable)"),
) -> None:
    from fanzha.casework.auth import flows
    from fanzha.casework.auth.service import AccountError, principal_for

    scope, key, actor = _ctx()
    try:
        with scope as db:
            user = _user(db, username)
            if add or remove:
                current = {r.role for r in user.roles}
                flows.change_roles(db, key=key, actor=actor, user=user, roles=(current | set(add)) - set(remove))
            if shop is not None:
                units = [u.unit_id for u in user.units if u.kind == "unit"]
                flows.change_units(db, key=key, actor=actor, user=user, shops=shop, units=units)
            who = principal_for(user, via="cli")
    except AccountError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{username}: roles {', '.join(sorted(who.roles)) or '(none)'}; shops {', '.join(sorted(who.shops)) or '-'}")
    typer.echo(f"permissions: {', '.join(sorted(who.permissions)) or '(none)'}")


@user_app.command("list")
def list_users() -> None:
    """List users with roles, shops and lock state."""
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import select

    from fanzha.casework.auth.models import User

    scope, _, _ = _ctx()
    table = Table("user", "name", "roles", "shops/units", "active", "locked until")
    with scope as db:
        for u in db.execute(select(User).order_by(User.username)).scalars():
            table.add_row(u.username, u.display_name or "", ", ".join(r.role for r in u.roles),
                          ", ".join(f"{x.kind}:{x.unit_id}" for x in u.units), "yes" if u.is_active else "no",
                          str(u.locked_until or ""))  # fmt: skip
    Console().print(table)


@user_app.command("token")
def token(
    username: str = typer.Argument(..., help="login name the token acts as"),
    name: str = typer.Option("api", "--name", help="label to tell tokens apart"),
    days: float = typer.Option(90, "--days", help="lifetime in days (0 = no expiry)"),
) -> None:
    """Issue an API bearer token (printed once; only its hash is stored)."""
    from fanzha.casework.auth import flows

    scope, key, actor = _ctx()
    with scope as db:
        tok = flows.issue_api_token(db, key=key, actor=actor, user=_user(db, username), name=name, days=days or None)
    typer.echo(f"token (shown once): {tok}")


@user_app.command("revoke-token")
def revoke_token(prefix: str = typer.Argument(..., help="the token's first 10 characters (fz_…), as shown when issued")) -> None:
    """Revoke API tokens by prefix (audited)."""
    from fanzha.casework.audit.service import record
    from fanzha.casework.auth.service import revoke_token as do_revoke

    scope, key, actor = _ctx()
    with scope as db:
        n = do_revoke(db, prefix=prefix[:10])
        if n:
            record(db, key=key, actor=actor, action="token.revoke", subject_type="token", subject_id=prefix[:10])
    typer.echo(f"{n} token(s) revoked")
    if not n:
        raise typer.Exit(1)


@user_app.command("disable")
def disable(
    username: str = typer.Argument(..., help="login name"),
    enable: bool = typer.Option(False, "--enable", help="re-enable instead"),
) -> None:
    """Disable (or re-enable) an account; a disabled account's sessions and tokens stop working at once."""
    from fanzha.casework.audit.service import record
    from fanzha.casework.auth.service import revoke_sessions

    scope, key, actor = _ctx()
    with scope as db:
        user = _user(db, username)
        user.is_active = enable
        if not enable:
            revoke_sessions(db, user=user)
        record(db, key=key, actor=actor, action="user.enable" if enable else "user.disable", subject_type="user",
               subject_id=user.id, detail={"username": username})  # fmt: skip
    typer.echo(f"{username} {'enabled' if enable else 'disabled'}")


@user_app.command("demo-accounts")
def demo_accounts(
    shop: str = typer.Option(None, "--shop", help="shop of the demo clerk (default: first shop in the registry)"),
) -> None:
    """Create (or reset) one demo_<role> account per role and print the passwords once."""
    from fanzha.casework.auth.flows import create_demo_users

    scope, key, _ = _ctx()
    with scope as db:
        accounts = create_demo_users(db, key=key, shop_id=shop)
    print_accounts(accounts)


def print_accounts(accounts: dict[str, str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("用户名 user", "密码 password (shown once)", title="演示账号 demo accounts")
    for username, password in accounts.items():
        table.add_row(username, password)
    Console().print(table)
