"""The call-record data contract as the analytics side enforces it (../shared/spec/data-contract.md).

Validation is one vectorised DuckDB expression per kind: :func:`validation_sql` turns a table of raw
text columns into typed columns plus ``reason`` (NULL for a good row, else the first broken rule).
Times without an offset are China Standard Time (+08:00). Stored rows also carry ``ts``: epoch
seconds as BIGINT, which every feature query uses so the SQL is plain integer arithmetic on both
engines (no time-zone functions, whose semantics differ between DuckDB and Spark).
"""

from __future__ import annotations

from dataclasses import dataclass

from fanzha.numbers import FIXED_PATTERN, IOT_PATTERN, MOBILE_PATTERN

# Own-line number rules come from fanzha.numbers (the one place for number rules).
# A peer is checked only for being dialable digits: another carrier, a fixed line, a short service
# number (95xxx, 10086, 110) or +<country>... / 00<country>...; spoofed or odd caller numbers are
# exactly what fraud analysis needs to see, so they are stored, not quarantined.
PEER_RE = r"^\+?[0-9]{3,20}$"
IMEI_RE = r"^[0-9]{15}$"
OFFSET_RE = r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"

CST_OFFSET_S = 8 * 3600  # China Standard Time, no daylight saving since 1991
DIRECTIONS = ("out", "in", "fwd")


@dataclass(frozen=True)
class Kind:
    """One kind of call record (voice CDR or SMS) as stored."""

    name: str
    time_column: str
    has_duration: bool

    @property
    def required(self) -> tuple[str, ...]:
        cols = ("record_id", "msisdn", "peer", "direction", self.time_column)
        return cols + (("duration_s",) if self.has_duration else ())

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + ("cell_id", "imei")

    @property
    def stored_columns(self) -> tuple[str, ...]:
        """Column order in the Parquet store (plus the hive partition column ``day``)."""
        return self.columns + ("ts",)


CDR = Kind("cdr", "start_time", True)
SMS = Kind("sms", "send_time", False)
KINDS = {"cdr": CDR, "sms": SMS}

# Reasons, in the order they are checked (a row gets the first that applies).
REASONS = (
    "missing_record_id",
    "bad_msisdn",
    "bad_peer",
    "unknown_direction",
    "bad_time",
    "bad_duration",
    "negative_duration",
    "bad_imei",
)

STORED_TYPES = {
    "record_id": "VARCHAR",
    "msisdn": "VARCHAR",
    "peer": "VARCHAR",
    "direction": "VARCHAR",
    "start_time": "TIMESTAMPTZ",
    "send_time": "TIMESTAMPTZ",
    "duration_s": "INTEGER",
    "cell_id": "VARCHAR",
    "imei": "VARCHAR",
    "ts": "BIGINT",
}


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def own_number_sql(col: str) -> str:
    """SQL predicate: ``col`` is a valid number of one of the operator's own lines."""
    return (
        f"(regexp_full_match({col}, {_q(MOBILE_PATTERN)}) OR regexp_full_match({col}, {_q(FIXED_PATTERN)})"
        f" OR regexp_full_match({col}, {_q(IOT_PATTERN)}))"
    )


def validation_sql(kind: Kind, raw: str) -> str:
    """SELECT over table ``raw`` (all VARCHAR, contract column names) → typed columns + ``reason``.

    DuckDB dialect; ingest runs it on DuckDB. ``raw`` must have every column of ``kind.columns``
    (missing ones selected as NULL by the caller).
    """
    t = kind.time_column
    time_txt = f"trim({t})"
    # An offset-less time is +08:00; TRY_CAST to TIMESTAMPTZ accepts 'T' or ' ' and '+08:00'/'+08'.
    time_expr = (
        f"TRY_CAST(CASE WHEN regexp_matches({time_txt}, {_q(OFFSET_RE)}) THEN {time_txt} "
        f"ELSE {time_txt} || '+08:00' END AS TIMESTAMPTZ)"
    )
    dur_expr = "TRY_CAST(trim(duration_s) AS BIGINT)" if kind.has_duration else "NULL"
    checks = [
        ("missing_record_id", "record_id IS NULL"),
        ("bad_msisdn", f"msisdn IS NULL OR NOT {own_number_sql('msisdn')}"),
        ("bad_peer", f"peer IS NULL OR NOT regexp_full_match(peer, {_q(PEER_RE)})"),
        ("unknown_direction", f"direction IS NULL OR direction NOT IN {tuple(DIRECTIONS)}"),
        ("bad_time", "_time IS NULL"),
    ]
    if kind.has_duration:
        checks += [
            ("bad_duration", "_dur IS NULL OR _dur > 2147483647"),
            ("negative_duration", "_dur < 0"),
        ]
    checks.append(("bad_imei", f"imei IS NOT NULL AND NOT regexp_full_match(imei, {_q(IMEI_RE)})"))
    reason = "CASE " + " ".join(f"WHEN {cond} THEN {_q(name)}" for name, cond in checks) + " END"
    dur_out = "CAST(_dur AS INTEGER) AS duration_s, " if kind.has_duration else ""
    return f"""
WITH n AS (
  SELECT
    nullif(trim(record_id), '') AS record_id,
    nullif(trim(msisdn), '') AS msisdn,
    nullif(trim(peer), '') AS peer,
    lower(nullif(trim(direction), '')) AS direction,
    {time_expr} AS _time,
    {dur_expr} AS _dur,
    nullif(trim(cell_id), '') AS cell_id,
    nullif(trim(imei), '') AS imei,
    _src_row
  FROM {raw}
)
SELECT record_id, msisdn, peer, direction, _time AS {t}, {dur_out}cell_id, imei,
       CAST(epoch(_time) AS BIGINT) AS ts,
       CAST(to_timestamp(epoch(_time) + {CST_OFFSET_S}) AT TIME ZONE 'UTC' AS DATE) AS day,
       {reason} AS reason, _src_row
FROM n
"""


def empty_table_sql(kind: Kind) -> str:
    """A zero-row SELECT with the stored schema (for a store that has no files of this kind yet)."""
    cols = ", ".join(f"CAST(NULL AS {STORED_TYPES[c]}) AS {c}" for c in kind.stored_columns)
    return f"SELECT {cols}, CAST(NULL AS DATE) AS day WHERE false"
