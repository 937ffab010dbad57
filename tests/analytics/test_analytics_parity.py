"""One logic, two engines: every feature family gives the same values on DuckDB and Spark local[2]."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fanzha.analytics import features as F
from fanzha.analytics.engines import get_engine
from fanzha.analytics.engines.spark import SparkEngine
from fanzha.analytics.inputs import register_inputs

# Generous timeout: it includes the JVM start, slow when the machine is shared.
pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.xdist_group("spark"), pytest.mark.timeout(900)]

AS_OF = "2026-05-04T00:00:00+08:00"


@pytest.fixture(scope="module")
def engines(province_store, spark_session):
    store, paths = province_store
    duck = get_engine("duckdb")
    spark = SparkEngine(spark=spark_session)
    for eng in (duck, spark):
        register_inputs(eng, store=store, subscribers=paths["subscribers"], cells=paths["cells"])
    yield duck, spark
    duck.close()


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b) > 0
    for col in a.columns:
        x, y = a[col], b[col]
        if x.dtype.kind in "fiu" or y.dtype.kind in "fiu":
            np.testing.assert_allclose(x.astype(float), y.astype(float), rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=col)
        else:
            assert x.fillna("∅").astype(str).tolist() == y.fillna("∅").astype(str).tolist(), col


@pytest.mark.parametrize("family", ["calling", "mobility", "device"])
def test_line_family_parity(engines, family):
    duck, spark = engines
    sql = F.line_features_sql(as_of=AS_OF, windows=("3d",), families=(family,))
    a, b = duck.df(sql), spark.df(sql)
    assert_same(a, b)
    assert a.msisdn.is_unique
    # The data exercises the family: most numeric columns have non-zero values somewhere.
    numeric = a.select_dtypes("number").fillna(0)
    assert (numeric != 0).any().mean() > 0.6


@pytest.mark.parametrize(
    "builder", [F.cell_hour_features_sql, F.imei_features_sql, F.pair_features_sql], ids=["cell_hour", "imei", "pair"]
)
def test_entity_parity(engines, builder):
    duck, spark = engines
    sql = builder(as_of=AS_OF, window="3d")
    assert_same(duck.df(sql), spark.df(sql))
