"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

from collections.abc import Callable


def cpu_of(match: Callable[[str], bool]) -> float:
    """CPU seconds (user + system) so far of the running processes whose command line ``match`` accepts."""
    import psutil

    total = 0.0
    for proc in psutil.process_iter(["cmdline"]):
        if match(" ".join(proc.info["cmdline"] or [])):
            try:
                t = proc.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
    return total
