"""Fixtures of the sim tests: generated provinces are built once per test run, even across xdist workers."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Callable

import pytest


@pytest.fixture(scope="session")
def build_once(tmp_path_factory) -> Callable[[str, Callable[[Path], dict]], tuple[Path, dict]]:
    """once(name, build): run build(folder) → JSON-able result once per test run; later callers, in
    any worker, get the same folder and result (a file lock serialises the first build)."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    root = (tmp_path_factory.getbasetemp().parent / f"fanzha-sim-{run}") if run else \
        tmp_path_factory.getbasetemp() / "fanzha-sim"
    root.mkdir(parents=True, exist_ok=True)

    def once(name: str, build: Callable[[Path], dict]) -> tuple[Path, dict]:
        out, done = root / name, root / f"{name}.json"
        with open(root / f"{name}.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            if not done.exists():
                done.write_text(json.dumps(build(out), default=str))
        return out, json.loads(done.read_text())

    return once
