"""Synthetic call-record streams for the monitor tests: ordinary lines calling each other, optionally
one planted fraud line calling strangers (short calls, one call per peer), written as contract CSV files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

T0 = 1793548800  # 2026-11-02 00:00 +08:00 is 1793548800 - 8 h; any hour boundary will do
COLUMNS = ["record_id", "msisdn", "peer", "direction", "start_time", "duration_s", "cell_id", "imei"]
FRAUD = "13307159999"


def lines(n: int, prefix: str = "1330715") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(n)]


@dataclass
class Stream:
    normal: list[str]
    victims: list[str]  # own subscribers the fraud line will call first (in order)
    fraud: str | None = FRAUD
    fraud_per_min: int = 8
    normal_calls_per_min: int = 40
    seed: int = 1

    def minute_frame(self, minute: int) -> pd.DataFrame:
        rng = np.random.default_rng(self.seed * 100_003 + minute)
        base = T0 + minute * 60
        n = self.normal_calls_per_min
        a = rng.choice(len(self.normal), n)
        b = (a + 1 + rng.integers(0, len(self.normal) - 1, n)) % len(self.normal)
        ts = base + np.sort(rng.integers(0, 60, n))
        dur = rng.integers(20, 300, n)
        caller = np.array(self.normal, dtype=object)[a]
        callee = np.array(self.normal, dtype=object)[b]
        rows = [pd.DataFrame({"msisdn": caller, "peer": callee, "direction": "out", "ts": ts, "duration_s": dur,
                              "cell_id": "460-11-100001-1", "imei": "86000000" + pd.Series(a).map("{:07d}".format)}),
                pd.DataFrame({"msisdn": callee, "peer": caller, "direction": "in", "ts": ts, "duration_s": dur,
                              "cell_id": "460-11-100002-1", "imei": "86000001" + pd.Series(b).map("{:07d}".format)})]
        if self.fraud:
            k = self.fraud_per_min
            first = minute * k
            idx = np.arange(first, first + k)
            peers = [self.victims[i] if i < len(self.victims) else f"1890715{i:04d}" for i in idx]
            fdur = np.where(rng.random(k) < 0.8, rng.integers(0, 9, k), rng.integers(60, 400, k))
            rows.append(pd.DataFrame({"msisdn": self.fraud, "peer": peers, "direction": "out",
                                      "ts": base + np.sort(rng.integers(0, 60, k)), "duration_s": fdur,
                                      "cell_id": "460-11-100003-1", "imei": "869999990000001"}))
        f = pd.concat(rows, ignore_index=True).sort_values("ts", kind="stable")
        f["start_time"] = pd.to_datetime(f["ts"], unit="s", utc=True).dt.tz_convert("Asia/Shanghai").map(
            lambda t: t.isoformat())
        f["record_id"] = [f"T{minute:05d}{i:05d}" for i in range(len(f))]
        return f

    def frame(self, minutes: range) -> pd.DataFrame:
        return pd.concat([self.minute_frame(m) for m in minutes], ignore_index=True)


def write(frame: pd.DataFrame, folder: Path, name: str) -> Path:
    """Write atomically (hidden name, then rename), as the drop-folder protocol asks."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.tmp"
    frame[COLUMNS].to_csv(tmp, index=False)
    target = folder / name
    os.replace(tmp, target)
    return target
