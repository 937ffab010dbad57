"""Accounts (账号): users, roles, permissions, login sessions and API tokens.

Other domains use three things from here:
- ``Permission`` / ``Role`` (enums.py) — add a permission for a new capability and grant it in ``ROLE_PERMISSIONS``;
- ``Principal`` (principal.py) — who is acting, with roles, permissions and shop/unit scope;
- ``shop_filter`` (scoping.py) — the SQL condition that keeps a clerk to their own shop's rows.
Web routes declare their permission with ``fanzha.web.deps.require`` (see that module).
"""
