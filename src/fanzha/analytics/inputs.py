"""Make the analytics inputs visible to an engine under fixed table names.

``cdr`` and ``sms`` come from the ingest store (schema.CDR/SMS.stored_columns + ``day``);
``subscribers`` and ``cells`` are contract files read as tables (never from the casework DB).
A missing input becomes an empty table of the right shape, so every feature query runs.
"""

from __future__ import annotations

from pathlib import Path

from fanzha.analytics.engines.base import Engine
from fanzha.analytics.schema import KINDS, empty_table_sql

SUBSCRIBER_COLUMNS = ("msisdn", "line_type", "id_no", "open_time", "shop_id", "clerk_id", "status", "occupation")
# Optional contract columns the feature SQL reads (victims' profile): NULL when the file lacks them.
OPTIONAL = {"subscribers": ("occupation",)}
CELL_COLUMNS = ("cell_id", "lat", "lon", "region_code")


def _empty(cols) -> str:
    return "SELECT " + ", ".join(f"CAST(NULL AS VARCHAR) AS {c}" for c in cols) + " WHERE false"


def register_inputs(
    engine: Engine,
    *,
    store: str | Path | None = None,
    subscribers: str | Path | None = None,
    cells: str | Path | None = None,
) -> None:
    """Register tables ``cdr``, ``sms`` (from ``store``), ``subscribers`` and ``cells`` on ``engine``."""
    for kind in KINDS.values():
        folder = Path(store) / kind.name if store is not None else None
        if folder is not None and any(folder.glob("day=*/*.parquet")):
            engine.register_parquet(f"{kind.name}_stored", folder, hive=True)
            cols = ", ".join(kind.stored_columns + ("day",))
            engine.create_view(kind.name, f"SELECT {cols} FROM {kind.name}_stored")
        else:
            engine.create_view(kind.name, empty_table_sql(kind))
    for name, path, cols in (("subscribers", subscribers, SUBSCRIBER_COLUMNS), ("cells", cells, CELL_COLUMNS)):
        if path is not None:
            engine.register_file(f"{name}_raw", path)
            # Types are cast in the feature SQL; here only the optional columns it reads are added if absent.
            have = set(engine.df(f"SELECT * FROM {name}_raw LIMIT 0").columns)
            extra = "".join(f", CAST(NULL AS VARCHAR) AS {c}" for c in OPTIONAL.get(name, ()) if c not in have)
            engine.create_view(name, f"SELECT *{extra} FROM {name}_raw")
        else:
            engine.create_view(name, _empty(cols))
