"""Web application: server-rendered pages (zh-CN first) and the REST API under /api.

Build it with :func:`fanzha.web.app.create_app`. How to add a page or API route (read this first):

- Put the route in your domain's ``views.py`` on an ``APIRouter`` and add the router in ``app.py``.
- Declare its permission with a dependency, always::

      @router.get("/alerts")
      def alerts(request: Request, db: Db, who: Principal = Depends(require(Permission.ALERT_READ))): ...

  ``require(…, rate="query")`` also applies the per-user query rate limit. ``public()`` marks the rare
  route open to anonymous users. ``create_app`` refuses to build an app with a route that declares
  neither, and tests/web walk every route (anonymous → 401/redirect, missing permission → 403).
- Pages (paths outside /api) authenticate by session cookie; forms must carry ``csrf_token``
  (``{{ csrf_field() }}`` in templates) — the page routers check it on every POST.
  API routes (``/api/…``) authenticate by ``Authorization: Bearer fz_…`` only, so CSRF cannot apply.
- Render with ``fanzha.web.templating.render(request, "x.html", {...})``; extend ``base.html``.
  No inline scripts or styles (the CSP forbids them); put assets in web/static.
- Show personal data masked (``fanzha.privacy.mask_*``); clear values only through an audited flow
  like ``fanzha.casework.lookup.service.unmask_line``.
- Add a navigation entry with ``fanzha.web.nav.register(NavItem(...))``.
"""
