"""Behaviour features over windows ending at a given time — the API detectors build on.

Usage::

    from fanzha.analytics.engines import get_engine
    from fanzha.analytics.inputs import register_inputs
    from fanzha.analytics.features import compute_line_features

    engine = get_engine("duckdb")                       # or "spark"
    register_inputs(engine, store="store/", subscribers="subscribers.csv", cells="cells.csv")
    lines = compute_line_features(engine, as_of="2026-05-03T24:00:00+08:00", windows=("1h", "24h", "7d"))
    # pandas DataFrame, one row per msisdn active in any window; columns <feature>_<window>

Windows are half-open (as_of - window, as_of]. Each ``*_sql`` function is pure: it returns one
DuckDB-dialect SELECT, which the Spark engine transpiles. Feature meanings: :mod:`.registry`
(``describe()``), or ``fanzha features`` on the command line.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow.compute as pc

from fanzha.analytics.engines.base import Engine
from fanzha.analytics.features import calling, cell, device, mobility, onset, pairs
from fanzha.analytics.features.registry import REGISTRY, Feature, describe, features, window_seconds
from fanzha.analytics.features.sql import Span, epoch

LINE_FAMILIES = {"calling": calling, "mobility": mobility, "device": device, "onset": onset}
DEFAULT_WINDOWS = ("1h", "24h", "7d")
DEFAULT_NIGHT = (22, 6)  # local hours [22:00, 06:00)
DEFAULT_HISTORY = "30d"
_SQL_TYPES = {"int": "BIGINT", "float": "DOUBLE", "str": "VARCHAR"}

AsOf = dt.datetime | str | int


def _typed(expr: str, f: Feature, alias: str) -> str:
    if f.fill is not None:
        expr = f"COALESCE({expr}, {f.fill})"
    return f"CAST({expr} AS {_SQL_TYPES[f.dtype]}) AS {alias}"


def line_features_sql(
    *,
    as_of: AsOf,
    windows: tuple[str, ...] = DEFAULT_WINDOWS,
    history: str = DEFAULT_HISTORY,
    night: tuple[int, int] = DEFAULT_NIGHT,
    families: tuple[str, ...] = tuple(LINE_FAMILIES),
    all_subscribers: bool = False,
    ordered: bool = True,
) -> str:
    """One SELECT: a row per line (msisdn), columns ``<feature>_<window>`` for every family and window.

    ``history`` is how far before each window "new peer" looks, and (with the window) the span over
    which the usual place (home region, usual centre) is taken. ``all_subscribers`` adds idle lines
    from the ``subscribers`` table (counts 0, statistics NULL). ``ordered`` sorts the rows by msisdn
    (:func:`compute_line_features` sorts the frame instead: a sort of the whole wide result inside the
    engine is what needs the most memory).
    """
    hi = epoch(as_of)
    hist_s = window_seconds(history)
    all_ctes: list[tuple[str, str]] = []
    selects: list[str] = []
    joins: list[str] = []
    keys: list[str] = []
    for w in windows:
        ws = window_seconds(w)
        span = Span(hi - ws, hi)
        before = Span(hi - ws - hist_s, hi - ws)
        tag = f"w{w}"
        for fam in families:
            module = LINE_FAMILIES[fam]
            parts, out = module.ctes(span=span, history=before, night=night, tag=tag)
            all_ctes.extend(parts)
            alias = f"{fam}_{tag}_o"
            joins.append(f"LEFT JOIN {out} {alias} ON {alias}.msisdn = k.msisdn")
            for f in features(entity="line", family=fam):
                selects.append(_typed(f"{alias}.{f.name}", f, f"{f.name}_{w}"))
        keys.append(
            f"SELECT msisdn FROM act_{tag}" if "calling" in families
            else f"SELECT DISTINCT msisdn FROM ({calling.events(span)}) e"
        )
    if all_subscribers:
        keys.append("SELECT msisdn FROM subscribers")
    all_ctes.append(("line_keys", " UNION ".join(keys)))
    with_clause = ",\n".join(f"{name} AS ({body})" for name, body in all_ctes)
    return (
        f"WITH {with_clause}\nSELECT k.msisdn, {', '.join(selects)}\nFROM line_keys k\n"
        + "\n".join(joins)
        + ("\nORDER BY k.msisdn" if ordered else "")
    )


def _entity_sql(inner: str, keys: tuple[str, ...], entity: str) -> str:
    cols = [_typed(f"x.{f.name}", f, f.name) for f in features(entity=entity) if f.name not in keys]
    key_cols = ", ".join(f"x.{k}" for k in keys)
    return f"SELECT {key_cols}, {', '.join(cols)} FROM ({inner}) x ORDER BY {key_cols}"


def cell_hour_features_sql(*, as_of: AsOf, window: str = "24h") -> str:
    hi = epoch(as_of)
    return _entity_sql(cell.cell_hour_sql(span=Span(hi - window_seconds(window), hi)), ("cell_id", "hour_ts"), "cell_hour")


def imei_features_sql(*, as_of: AsOf, window: str = "24h") -> str:
    hi = epoch(as_of)
    return _entity_sql(device.imei_sql(span=Span(hi - window_seconds(window), hi)), ("imei",), "imei")


def pair_features_sql(*, as_of: AsOf, window: str = "7d") -> str:
    hi = epoch(as_of)
    return _entity_sql(pairs.pair_sql(span=Span(hi - window_seconds(window), hi)), ("msisdn", "peer"), "pair")


def compute_line_features(engine: Engine, *, as_of: AsOf, windows: tuple[str, ...] = DEFAULT_WINDOWS, **options) -> pd.DataFrame:
    """Per-line features (see :func:`line_features_sql` for options), one row per msisdn, sorted by msisdn."""
    table = engine.sql(line_features_sql(as_of=as_of, windows=tuple(windows), ordered=False, **options))
    table = table.take(pc.sort_indices(table["msisdn"]))
    return table.to_pandas(self_destruct=True, split_blocks=True)


def compute_cell_hour_features(engine: Engine, *, as_of: AsOf, window: str = "24h") -> pd.DataFrame:
    """Per (cell_id, hour_ts) features over the window."""
    return engine.df(cell_hour_features_sql(as_of=as_of, window=window))


def compute_imei_features(engine: Engine, *, as_of: AsOf, window: str = "24h") -> pd.DataFrame:
    """Per IMEI features over the window (lines, SIM rotation, ...)."""
    return engine.df(imei_features_sql(as_of=as_of, window=window))


def compute_pair_features(engine: Engine, *, as_of: AsOf, window: str = "7d") -> pd.DataFrame:
    """Per (msisdn, peer) contact counts over the window, for the association graph."""
    return engine.df(pair_features_sql(as_of=as_of, window=window))


__all__ = [
    "REGISTRY",
    "compute_cell_hour_features",
    "compute_imei_features",
    "compute_line_features",
    "compute_pair_features",
    "describe",
    "line_features_sql",
    "window_seconds",
]
