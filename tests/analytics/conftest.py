"""Fixtures for the analytics tests: hand-made call records, a small random province, one Spark session."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

CDR_COLS = ["record_id", "msisdn", "peer", "direction", "start_time", "duration_s", "cell_id", "imei"]
SMS_COLS = ["record_id", "msisdn", "peer", "direction", "send_time", "cell_id", "imei"]


def _write_inputs(folder, *, cdr=None, sms=None, cells=None, subscribers=None):
    """Write contract CSVs into ``folder``; returns a dict of paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, df in (("cdr", cdr), ("sms", sms), ("cells", cells), ("subscribers", subscribers)):
        if df is not None:
            p = folder / f"{name}.csv"
            df.to_csv(p, index=False)
            paths[name] = p
    return paths


def random_province(*, seed: int = 7, lines: int = 40, days: int = 3, calls_per_line_day: int = 12):
    """A small random province: ordinary lines, one GOIP box (8 SIMs on one IMEI, short outgoing
    calls from one cell) and lines on other carriers; contract frames cdr, sms, cells, subscribers."""
    rng = np.random.default_rng(seed)
    own = [f"1330715{i:04d}" for i in range(lines)]
    goip = own[:8]
    others = [f"1{p}{rng.integers(10**7, 10**8)}" for p in rng.choice(["30", "34", "89", "86", "58"], 60)]
    others += ["07158123456", "+85212345678", "95555", "01012345678"]
    cells = pd.DataFrame({
        "cell_id": [f"C{i:03d}" for i in range(12)],
        "lat": np.round(29.8 + rng.random(12) * 0.6, 5),
        "lon": np.round(114.0 + rng.random(12) * 0.6, 5),
        "region_code": rng.choice(["421202", "421221", "421281", "420102"], 12),
    })
    subscribers = pd.DataFrame({
        "msisdn": own,
        "line_type": "mobile",
        "id_no": [rng.choice(["421202", "421221", "510105", "420111"]) + "19900101" + f"{i:03d}" + "X" for i in range(lines)],
        "owner_name": "测试",
        "open_time": "2025-01-01T10:00:00+08:00",
        "shop_id": "S1",
        "clerk_id": "K1",
        "status": "active",
    })
    t0 = pd.Timestamp("2026-05-01T00:00:00+08:00").value // 10**9
    rows, srows = [], []
    home = {m: rng.integers(0, 12) for m in own}
    imei = {m: f"35{rng.integers(10**12, 10**13)}" for m in own}
    box = "861234560000001"
    for d in range(days):
        for m in own:
            n = calls_per_line_day * (5 if m in goip else 1)
            ts = np.sort(t0 + d * 86400 + rng.integers(0, 86400, n))
            for t in ts:
                if m in goip:
                    rows.append((m, rng.choice(others[:60]), "out", t, int(rng.choice([0, 3, 5, 8, 40])), "C000", box))
                else:
                    peer = rng.choice(others + own)
                    direction = rng.choice(["out", "in", "fwd"], p=[0.5, 0.45, 0.05])
                    cell = f"C{(home[m] + rng.integers(0, 3)) % 12:03d}"
                    rows.append((m, peer, direction, t, int(rng.exponential(90)), cell, imei[m]))
            for t in t0 + d * 86400 + rng.integers(0, 86400, 3):
                srows.append((m, rng.choice(others), rng.choice(["out", "in"]), t, f"C{home[m]:03d}", imei[m]))
    cdr = pd.DataFrame(rows, columns=["msisdn", "peer", "direction", "ts", "duration_s", "cell_id", "imei"])
    cdr.insert(0, "record_id", [f"v{i}" for i in range(len(cdr))])
    cdr["start_time"] = pd.to_datetime(cdr.pop("ts"), unit="s", utc=True).dt.tz_convert("Asia/Shanghai").map(lambda x: x.isoformat())
    sms = pd.DataFrame(srows, columns=["msisdn", "peer", "direction", "ts", "cell_id", "imei"])
    sms.insert(0, "record_id", [f"s{i}" for i in range(len(sms))])
    sms["send_time"] = pd.to_datetime(sms.pop("ts"), unit="s", utc=True).dt.tz_convert("Asia/Shanghai").map(lambda x: x.isoformat())
    return {"cdr": cdr[CDR_COLS], "sms": sms[SMS_COLS], "cells": cells, "subscribers": subscribers}


@pytest.fixture(scope="session")
def write_inputs():
    """``write_inputs(folder, cdr=df, sms=df, cells=df, subscribers=df)`` → {name: csv path}."""
    return _write_inputs


@pytest.fixture(scope="session")
def province_store(tmp_path_factory):
    """The random province ingested once: (store path, input paths)."""
    from fanzha.analytics.ingest import ingest

    folder = tmp_path_factory.mktemp("province")
    paths = _write_inputs(folder, **random_province())
    ingest(store=folder / "store", cdr=paths["cdr"], sms=paths["sms"])
    return folder / "store", paths


@pytest.fixture(scope="session")
def spark_session():
    """One local[2] SparkSession for all Spark tests (JVM start is the expensive part)."""
    pyspark = pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]").appName("fanzha-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    assert pyspark.__version__
    yield spark
    spark.stop()
