"""Adapters from other published call-record formats into the fanzha contract columns.

Used by the peer-parity tests and benchmarks (bandicoot's CSV format, the Sichuan 2020 contest's
``train_voc`` format); an operator with such files can use them too. Identifiers in those formats
(letters, 128-hex hashes) are not phone numbers, so each is mapped to a stable synthetic number:
the same source id always gets the same number within one call.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd


class NumberMap:
    """Stable synthetic numbers for opaque ids: mobiles ``199xxxxxxxx``, IMEIs ``86000000xxxxxxx``."""

    def __init__(self, prefix: str = "199", width: int = 11) -> None:
        self.prefix, self.width, self.ids = prefix, width, {}

    def __call__(self, key) -> str | None:
        if key is None or (isinstance(key, float) and pd.isna(key)) or str(key) == "":
            return None
        if key not in self.ids:
            self.ids[key] = self.prefix + str(len(self.ids) + 1).zfill(self.width - len(self.prefix))
        return self.ids[key]


def bandicoot_user(
    records_csv: Path, *, towers_csv: Path | None = None, msisdn: str = "13800000001", numbers: NumberMap | None = None
) -> dict[str, pd.DataFrame]:
    """bandicoot's per-user CSV (interaction,direction,correspondent_id,datetime,call_duration,antenna_id)
    → {"cdr", "sms", "cells"} contract frames. bandicoot's local times are taken as +08:00 local times."""
    numbers = numbers or NumberMap("139")
    df = pd.read_csv(records_csv, dtype=str)
    rows = pd.DataFrame({
        "record_id": [f"{Path(records_csv).stem}-{i}" for i in range(len(df))],
        "msisdn": msisdn,
        "peer": df["correspondent_id"].map(numbers),
        "direction": df["direction"],
        "cell_id": df.get("antenna_id"),
        "imei": None,
    })
    time = df["datetime"].str.replace(" ", "T") + "+08:00"
    calls = df["interaction"] == "call"
    cdr = rows[calls].assign(start_time=time[calls], duration_s=df.loc[calls, "call_duration"])
    sms = rows[~calls].assign(send_time=time[~calls])
    out = {"cdr": cdr, "sms": sms}
    if towers_csv is not None:
        t = pd.read_csv(towers_csv, dtype=str, skipinitialspace=True)
        out["cells"] = pd.DataFrame({
            "cell_id": t["antenna_id"], "lat": t["latitude"], "lon": t["longitude"], "region_code": None,
        })
    return out


SICHUAN_DIRECTIONS = {"1": "out", "2": "in", "3": "fwd"}  # calltype_id: 1 主叫, 2 被叫, 3 呼转


def sichuan_voc(files: Iterable[Path], *, numbers: NumberMap | None = None, imeis: NumberMap | None = None) -> pd.DataFrame:
    """Sichuan 2020 ``train_voc`` rows (phone_no_m, opposite_no_m, calltype_id, start_datetime,
    call_dur, city_name, county_name, imei_m) → contract voice CDR frame. Returns the id → number
    map in ``df.attrs['numbers']`` so callers can find a source user's number."""
    numbers = numbers or NumberMap("199")
    imeis = imeis or NumberMap("86000000", 15)
    frames = []
    for f in files:
        df = pd.read_csv(f, dtype=str)
        frames.append(pd.DataFrame({
            "record_id": [f"{Path(f).stem}-{i}" for i in range(len(df))],
            "msisdn": df["phone_no_m"].map(numbers),
            "peer": df["opposite_no_m"].map(numbers),
            "direction": df["calltype_id"].map(SICHUAN_DIRECTIONS),
            "start_time": df["start_datetime"],  # no offset: China Standard Time, as the contract says
            "duration_s": df["call_dur"],
            "cell_id": None,
            "imei": df["imei_m"].map(imeis),
        }))
    out = pd.concat(frames, ignore_index=True)
    out.attrs["numbers"] = dict(numbers.ids)
    return out
