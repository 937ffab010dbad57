"""In-process sliding-window rate limiter.

Per process: with several uvicorn workers each counts on its own (the limits are per worker); a
reverse proxy in front should add its own limit for a multi-worker deployment (SECURITY.md).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class RateLimiter:
    def __init__(self, window_seconds: float = 60.0) -> None:
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str, *, limit: int) -> float | None:
        """Count one hit; None if allowed, else seconds until the next hit would be allowed."""
        now = time.monotonic()
        with self._lock:
            q = self._hits[key]
            while q and q[0] <= now - self.window:
                q.popleft()
            if len(q) >= limit:
                return max(0.0, q[0] + self.window - now)
            q.append(now)
            if len(self._hits) > 100_000:  # bound memory under a flood of distinct keys
                for k in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
                    del self._hits[k]
            return None

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
