"""The evidence that needs no volume (issue 21 §4) on hand-made records with hand-computed values: own
subscribers newly reached, the victims' profile, activity since the first record today, and the break
from the line's own baseline."""

from __future__ import annotations

import pandas as pd
import pytest

from fanzha.analytics.engines import get_engine
from fanzha.analytics.features import compute_line_features
from fanzha.analytics.ingest import ingest
from fanzha.analytics.inputs import register_inputs

A, B, E, S = "13307150001", "13307150002", "13307150005", "13307150006"  # own lines: B adult, E elderly, S student
AS_OF = "2026-05-03T12:00:00+08:00"  # window (05-02 12:00, 05-03 12:00]; baseline [04-26 08:00, 05-02 08:00)

CDR = [
    # id, msisdn, peer, dir, local time (+08:00), dur
    ("b1", A, S, "out", "2026-04-29T10:00:00", 30),  # baseline block 1; also the history: S is not new
    ("b2", A, S, "in", "2026-04-30T10:00:00", 40),  # baseline block 2
    ("b3", A, "13800000003", "in", "2026-04-30T15:00:00", 50),  # baseline block 3
    ("w1", A, B, "out", "2026-05-02T20:00:00", 20),  # yesterday evening: own, new
    ("w2", A, E, "out", "2026-05-03T09:00:00", 60),  # today's first record: own, new, elderly
    ("w3", A, S, "out", "2026-05-03T10:00:00", 10),  # own, student, called before
    ("w4", A, "13800000001", "out", "2026-05-03T11:00:00", 5),  # not our subscriber
    ("w5", A, "13800000002", "in", "2026-05-03T11:30:00", 90),
]
SUBS = pd.DataFrame({
    "msisdn": [A, B, E, S], "line_type": "mobile",
    "id_no": ["42120219900101123X", "421202198501011234", "421202195003011234", "421202200709011234"],
    "occupation": ["worker", "worker", "retired", "student"],
})


@pytest.fixture(scope="module")
def line(tmp_path_factory):
    folder = tmp_path_factory.mktemp("onset")
    cdr = pd.DataFrame(CDR, columns=["record_id", "msisdn", "peer", "direction", "start_time", "duration_s"])
    cdr.to_csv(folder / "cdr.csv", index=False)
    SUBS.to_csv(folder / "subscribers.csv", index=False)
    ingest(store=folder / "store", cdr=folder / "cdr.csv")
    with get_engine("duckdb") as eng:
        register_inputs(eng, store=folder / "store", subscribers=folder / "subscribers.csv")
        got = compute_line_features(eng, as_of=AS_OF, windows=("24h",), families=("calling", "onset"))
    return got.set_index("msisdn").loc[A]


def test_own_subscribers_newly_reached_and_victims_profile(line):
    assert line["peers_out_24h"] == 4
    assert line["own_new_peers_24h"] == 2  # B and E; S was called in the history, 1380… is not ours
    assert line["own_new_peer_share_24h"] == pytest.approx(0.5)
    assert line["elderly_peer_share_24h"] == pytest.approx(0.25)  # E, born 1950
    assert line["student_peer_share_24h"] == pytest.approx(0.25)  # S


def test_activity_since_the_first_record_today(line):
    assert line["calls_out_today_24h"] == 3  # 09:00, 10:00, 11:00 (yesterday's 20:00 is not today)
    assert line["hours_since_first_today_24h"] == pytest.approx(3.0)
    assert line["calls_out_per_hour_today_24h"] == pytest.approx(1.0)


def test_break_from_the_lines_own_baseline(line):
    assert line["base_blocks_24h"] == 3
    assert line["base_out_share_24h"] == pytest.approx(1 / 3)
    assert line["out_share_break_24h"] == pytest.approx(4 / 5 - 1 / 3)  # 4 of 5 records outgoing now
    assert line["activity_break_24h"] == pytest.approx((5 / 4) / (3 / 3))  # per 6 h now vs per active block
