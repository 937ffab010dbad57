"""Small pure helpers shared by the feature SQL builders (DuckDB dialect, portable to Spark via sqlglot).

Everything is integer arithmetic on ``ts`` (epoch seconds): local (+08:00) hour of day is
``((ts + 28800) % 86400) // 3600``, the local day number ``(ts + 28800) // 86400``. Ties in any
"most frequent" choice are broken explicitly (count desc, then first seen, then id), so DuckDB and
Spark give identical answers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fanzha.analytics.schema import CST_OFFSET_S
from fanzha.numbers import CARRIER_PREFIXES

CST = dt.timezone(dt.timedelta(seconds=CST_OFFSET_S))

def epoch(as_of: dt.datetime | str | int) -> int:
    """A time (aware, naive = +08:00, ISO string, or epoch seconds) → epoch seconds."""
    if isinstance(as_of, int):
        return as_of
    if isinstance(as_of, str):
        as_of = dt.datetime.fromisoformat(as_of)
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=CST)
    return int(as_of.timestamp())


@dataclass(frozen=True)
class Span:
    """Half-open time span (lo, hi] in epoch seconds."""

    lo: int
    hi: int

    def where(self) -> str:
        """Filter on ts, plus the day partition so the engines skip other days' files."""
        d_lo = dt.datetime.fromtimestamp(self.lo, CST).date()
        d_hi = dt.datetime.fromtimestamp(self.hi, CST).date()
        return f"ts > {self.lo} AND ts <= {self.hi} AND day >= DATE '{d_lo}' AND day <= DATE '{d_hi}'"


def calls(span: Span) -> str:
    return f"SELECT msisdn, peer, direction, ts, duration_s, cell_id, imei FROM cdr WHERE {span.where()}"


def texts(span: Span) -> str:
    return f"SELECT msisdn, peer, direction, ts, cell_id, imei FROM sms WHERE {span.where()}"


def events(span: Span) -> str:
    """Calls and SMS together (``kind`` = 'call' | 'sms')."""
    return (
        f"SELECT msisdn, peer, direction, ts, cell_id, imei, 'call' AS kind FROM cdr WHERE {span.where()} "
        f"UNION ALL SELECT msisdn, peer, direction, ts, cell_id, imei, 'sms' AS kind FROM sms WHERE {span.where()}"
    )


def hour_of_day(col: str = "ts") -> str:
    return f"((({col} + {CST_OFFSET_S}) % 86400) // 3600)"


def local_day(col: str = "ts") -> str:
    return f"(({col} + {CST_OFFSET_S}) // 86400)"


def is_night(night: tuple[int, int], col: str = "ts") -> str:
    start, end = night
    h = hour_of_day(col)
    if start > end:  # wraps midnight, e.g. 22..6
        return f"({h} >= {start} OR {h} < {end})"
    return f"({h} >= {start} AND {h} < {end})"


def ratio(num: str, den: str) -> str:
    return f"CAST({num} AS DOUBLE) / NULLIF({den}, 0)"


def entropy(n: str) -> str:
    """Shannon entropy (natural log) of a count distribution, as an aggregate over rows with count ``n``."""
    return f"(LN(SUM({n})) - SUM({n} * LN({n})) / SUM({n}))"


def haversine_km(lat1: str, lon1: str, lat2: str, lon2: str) -> str:
    """Great-circle distance in km (R = 6371), as bandicoot computes it."""
    return (
        f"(2 * 6371.0 * ASIN(SQRT(POWER(SIN(RADIANS({lat1} - {lat2}) / 2), 2) + "
        f"COS(RADIANS({lat1})) * COS(RADIANS({lat2})) * POWER(SIN(RADIANS({lon1} - {lon2}) / 2), 2))))"
    )


def carrier(col: str) -> str:
    """Carrier of a mobile number by its block prefix (longest prefix first), from fanzha.numbers."""
    by_len: dict[int, dict[str, list[str]]] = {}
    for prefix, name in CARRIER_PREFIXES.items():
        by_len.setdefault(len(prefix), {}).setdefault(name, []).append(prefix)
    whens = " ".join(
        f"WHEN SUBSTR({col}, 1, {n}) IN ({', '.join(repr(p) for p in sorted(prefixes))}) THEN '{name}'"
        for n in sorted(by_len, reverse=True)
        for name, prefixes in sorted(by_len[n].items())
    )
    return f"(CASE {whens} ELSE 'other' END)"


def peer_kind(col: str = "peer") -> str:
    """'intl' | 'mobile' | 'fixed' | 'service' (short and special numbers)."""
    return (
        f"(CASE WHEN ({col} LIKE '+%' AND {col} NOT LIKE '+86%') OR ({col} LIKE '00%' AND {col} NOT LIKE '0086%') "
        f"THEN 'intl' WHEN LENGTH({col}) = 11 AND {col} LIKE '1%' THEN 'mobile' "
        f"WHEN {col} LIKE '0%' AND LENGTH({col}) BETWEEN 10 AND 12 THEN 'fixed' ELSE 'service' END)"
    )
