"""Deliberately malformed rows (only when asked, `--dirty-rate`), so ingest and quarantine can be
exercised on realistic breakage: bad numbers, impossible times, negative durations, unknown
directions, broken IMEIs, repeated record ids, bad ID check characters."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

RECORD_FAULTS = {
    "msisdn": ["", "1330715", "133O7151234", "+86 133 0715 1234"],
    "start_time": ["2026-13-45T25:61:00+08:00", "yesterday", "", "2026/11/01 08:00"],
    "direction": ["sideways", "OUT", ""],
    "imei": ["12345", "ABCDEFGHIJKLMNO"],
}


def corrupt_records(table: pa.Table, rng: np.random.Generator, rate: float) -> tuple[pa.Table, int]:
    n = table.num_rows
    if rate <= 0 or n == 0:
        return table, 0
    bad = np.flatnonzero(rng.random(n) < rate)
    if not len(bad):
        return table, 0
    time_col = "start_time" if "start_time" in table.column_names else "send_time"
    faults = ["msisdn", time_col, "direction", "imei", "record_id"] + (["duration_s"] if "duration_s" in
                                                                      table.column_names else [])
    which = rng.integers(0, len(faults), len(bad))
    cols = {name: table.column(name).combine_chunks() for name in table.column_names}
    for f, col in enumerate(faults):
        rows = bad[which == f]
        if not len(rows):
            continue
        mask = np.zeros(n, bool)
        mask[rows] = True
        if col == "duration_s":
            values = pa.array(-rng.integers(1, 100, n), type=pa.int32())
        elif col == "record_id":
            # A repeat of the row before it: duplicates must be counted once, not quarantined.
            values = cols[col].take(pa.array(np.maximum(np.arange(n) - 1, 0)))
        else:
            choices = RECORD_FAULTS["start_time" if col == time_col else col]
            values = pa.array(np.array(choices)[rng.integers(0, len(choices), n)])
        cols[col] = pc.if_else(pa.array(mask), values, cols[col])
    return pa.table(cols), len(bad)


def corrupt_subscribers(table: pa.Table, rng: np.random.Generator, rate: float) -> tuple[pa.Table, int]:
    n = table.num_rows
    if rate <= 0 or n == 0:
        return table, 0
    bad = rng.random(n) < rate
    if not bad.any():
        return table, 0
    ids = table.column("id_no").to_numpy(zero_copy_only=False).astype(str)
    kind = rng.integers(0, 3, n)
    # Wrong check character, wrong length, impossible birth date.
    wrong = np.array([s[:17] + ("0" if s[17] != "0" else "1") for s in ids[bad]])
    short = np.array([s[:15] for s in ids[bad]])
    month = np.array([s[:10] + "13" + s[12:] for s in ids[bad]])
    k = kind[bad]
    ids[bad] = np.where(k == 0, wrong, np.where(k == 1, short, month))
    cols = {name: table.column(name) for name in table.column_names}
    cols["id_no"] = pa.array(ids)
    lt = table.column("line_type").to_numpy(zero_copy_only=False).astype(object)
    lt[bad & (rng.random(n) < 0.3)] = "satellite"
    cols["line_type"] = pa.array(lt.astype(str))
    return pa.table(cols), int(bad.sum())
