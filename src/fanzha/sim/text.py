"""Fast, vectorised building of the fixed-width strings the files are made of (numbers, IMEIs, IDs,
times). Strings are assembled as byte matrices in numpy and handed to Arrow without a Python loop."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa

_ZERO = ord("0")


_LUT3 = np.array([[ord(c) for c in f"{i:03d}"] for i in range(1000)], dtype=np.uint8)


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) ASCII digit matrix of non-negative integers, zero-padded on the left (three digits
    per step through a lookup table: a third of the divisions)."""
    v = np.asarray(values, dtype=np.int64).copy()
    out = np.empty((len(v), width), dtype=np.uint8)
    end = width
    while end > 0:
        take = min(3, end)
        chunk = _LUT3[v % 1000]
        out[:, end - take:end] = chunk[:, 3 - take:]
        v //= 1000
        end -= take
    return out


def ascii_matrix(prefix: str, n: int) -> np.ndarray:
    return np.tile(np.frombuffer(prefix.encode(), dtype=np.uint8), (n, 1))


def to_arrow(matrix: np.ndarray) -> pa.Array:
    """An Arrow string array from an (n, width) byte matrix, without copying per element."""
    n, width = matrix.shape
    data = np.ascontiguousarray(matrix).reshape(-1)
    offsets = (np.arange(n + 1, dtype=np.int64) * width).astype(np.int32 if n * width < 2**31 else np.int64)
    typ = pa.string() if offsets.dtype == np.int32 else pa.large_string()
    return pa.Array.from_buffers(typ, n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def to_numpy_str(matrix: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(matrix).view(f"S{matrix.shape[1]}").reshape(-1).astype(str)


_LUHN_DOUBLE = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9], dtype=np.uint8)


def luhn_digit(body: np.ndarray) -> np.ndarray:
    """Luhn check digit (as ASCII) for each row of a digit matrix (IMEI: 14 digits → 15th)."""
    d = body - np.uint8(_ZERO)
    w = d.shape[1]
    # Doubling starts from the rightmost body digit (a doubled digit counts its digit sum).
    dbl = ((w - 1 - np.arange(w)) % 2) == 0
    x = d.copy()
    x[:, dbl] = _LUHN_DOUBLE[d[:, dbl]]
    return ((10 - x.sum(axis=1, dtype=np.int32) % 10) % 10 + _ZERO).astype(np.uint8)


_ID_WEIGHTS = np.array((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), dtype=np.int64)
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def id_check(body: np.ndarray) -> np.ndarray:
    """GB 11643 check character (ISO 7064 MOD 11-2) for each row of a 17-digit matrix; the same rule
    as fanzha.ids.check_char, vectorised (the tests compare the two)."""
    return _ID_CHECK[((body.astype(np.int64) - _ZERO) @ _ID_WEIGHTS) % 11]


def time_table(day: date, offset: str = "+08:00") -> np.ndarray:
    """(86400, 25) matrix: the ISO 8601 time with offset of every second of DAY."""
    sec = np.arange(86400)
    out = np.empty((86400, 25), dtype=np.uint8)
    out[:, 0:11] = np.frombuffer(f"{day.isoformat()}T".encode(), dtype=np.uint8)
    out[:, 11:13] = digits(sec // 3600, 2)
    out[:, 13] = ord(":")
    out[:, 14:16] = digits(sec // 60 % 60, 2)
    out[:, 16] = ord(":")
    out[:, 17:19] = digits(sec % 60, 2)
    out[:, 19:25] = np.frombuffer(offset.encode(), dtype=np.uint8)
    return out


def iso_times(start: date, seconds: np.ndarray) -> np.ndarray:
    """ISO times (numpy str) for seconds counted from START's midnight (+08:00); may be negative."""
    base = np.datetime64(start.isoformat(), "s")
    stamps = base + np.asarray(seconds, dtype=np.int64).astype("timedelta64[s]")
    return np.char.add(np.datetime_as_string(stamps, unit="s"), "+08:00")


def iso_dates(start: date, days: np.ndarray) -> np.ndarray:
    base = np.datetime64(start.isoformat(), "D")
    return np.datetime_as_string(base + np.asarray(days, dtype=np.int64).astype("timedelta64[D]"), unit="D")


def day_of(start: date, index: int) -> date:
    return start + timedelta(days=index)
