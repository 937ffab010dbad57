"""Produce docs/img/dashboard.png: run the demo in a scratch FANZHA_HOME, serve it, log in as the demo
supervisor in Debian's chromium (Playwright) and screenshot the dashboard.

    .venv/bin/python scripts/dashboard_screenshot.py [--lines 6000 --days 7 --seed 1] [--out docs/img/dashboard.png]
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=6000)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--user", default="demo_supervisor", help="demo account to log in as")
    ap.add_argument("--out", type=Path, default=Path("docs/img/dashboard.png"))
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="fanzha-shot-"))
    os.environ["FANZHA_HOME"] = str(home)
    from fanzha.config import get_settings, reset_settings

    reset_settings()
    settings = get_settings()
    from fanzha.demo import run_demo

    result = run_demo(settings=settings, lines=args.lines, days=args.days, seed=args.seed, out=home / "demo")
    password = result["accounts"][args.user]

    import uvicorn
    from playwright.sync_api import sync_playwright

    from fanzha.web.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page(base_url=f"http://127.0.0.1:{port}", locale="zh-CN",
                                    viewport={"width": 1280, "height": 900}, device_scale_factor=1)  # fmt: skip
            page.goto("/login")
            page.fill("input[name=username]", args.user)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_selector("section.panel")
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out), full_page=True)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes) from a demo in {home}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
