"""simbox by co-behaviour on hand-made records: every kind of SIM bank is found, a crowd is not, the monitor's
buckets give the same members as the batch replay, and the replay is causal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fanzha.analytics.detectors.context import open_context
from fanzha.analytics.detectors.simbox import SimboxDetector

COLS = ["record_id", "msisdn", "peer", "direction", "start_time", "duration_s", "cell_id", "imei"]
DAYS = ("2026-05-03", "2026-05-04", "2026-05-05")
CELLS = [f"460-11-7000{i:02d}-1" for i in range(30)]


class Frames:
    def __init__(self, seed: int = 3) -> None:
        self.rng = np.random.default_rng(seed)
        self.rows: list[tuple] = []
        self.stranger = 0

    def call(self, line, peer, direction, day, hour, cell, imei, dur):
        minute, second = self.rng.integers(0, 60, 2)
        t = f"{day}T{hour:02d}:{minute:02d}:{second:02d}+08:00"
        self.rows.append((f"r{len(self.rows)}", line, peer, direction, t, int(dur), cell, imei))

    def strangers(self, n):
        out = [f"189{self.stranger + i:08d}" for i in range(n)]
        self.stranger += n
        return out

    def bank(self, lines, *, hours, cell_at, imei_at, per_hour=5, inbound_from=None, accomplices=()):
        """Outgoing short calls to strangers from each member in each working hour."""
        for d, day in enumerate(DAYS):
            for h in hours(0):
                k = d * 24 + h
                for j, line in enumerate(lines):
                    if h not in hours(j):
                        continue
                    for peer in self.strangers(int(self.rng.integers(per_hour - 1, per_hour + 2))):
                        self.call(line, peer, "out", day, h, cell_at(k, j), imei_at(d, j), self.rng.integers(3, 40))
                    if inbound_from is not None:  # fake inbound: fellow members and accomplices ring in
                        for peer in [*accomplices, *lines[:j], *lines[j + 1:]][:per_hour]:
                            self.call(line, peer, "in", day, h, cell_at(k, j), imei_at(d, j), self.rng.integers(20, 90))

    def crowd(self, lines, cell):
        """Students in one cell in lecture hours, with their own friends and family who call back."""
        for day in DAYS:
            for j, line in enumerate(lines):
                friends = [f"138{j:04d}{f:04d}" for f in range(5)]
                for h in (9, 10, 11, 14, 15, 16):
                    for _ in range(2):
                        f = friends[int(self.rng.integers(0, 5))]
                        self.call(line, f, "out", day, h, cell, f"8655550{j:08d}", self.rng.integers(30, 400))
                    self.call(line, friends[h % 5], "in", day, h, cell, f"8655550{j:08d}", self.rng.integers(30, 400))
                    mate = lines[(j + h) % len(lines)]
                    self.call(line, mate, "out", day, h, cell, f"8655550{j:08d}", self.rng.integers(10, 120))

    def write(self, folder):
        folder.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(self.rows, columns=COLS).sort_values("start_time").to_csv(folder / "cdr.csv", index=False)
        pd.DataFrame([(c, 29.8 + i * 0.01, 114.3 + i * 0.01, "421202") for i, c in enumerate(CELLS)],
                     columns=["cell_id", "lat", "lon", "region_code"]).to_csv(folder / "cells.csv", index=False)
        return folder


def lines(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(n)]


WORK = list(range(8, 21))
BANKS = {
    # a car-mounted box: 10 SIMs, one handset each, a new cell every 3 hours
    "bank_moving": lines("1330001", 10),
    "bank_handsets": lines("1330002", 8),  # static, one cheap handset per SIM
    "bank_imei_rotation": lines("1330003", 8),  # a gateway whose IMEIs are rewritten every day
    "bank_inbound": lines("1330004", 8),  # moving, with calls among members and from two accomplices
    "bank_shifts_a": lines("1330005", 6),  # two shifts on one site
    "bank_shifts_b": lines("1330006", 6),
    "bank_two_sites": lines("1330007", 12),  # split over two cells
}
CROWD = lines("1370000", 40)


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    f = Frames()
    f.bank(BANKS["bank_moving"], hours=lambda j: WORK, cell_at=lambda k, j: CELLS[(k // 3) % 6],
           imei_at=lambda d, j: f"8612340{j:08d}")
    f.bank(BANKS["bank_handsets"], hours=lambda j: WORK, cell_at=lambda k, j: CELLS[10],
           imei_at=lambda d, j: f"8612341{j:08d}")
    f.bank(BANKS["bank_imei_rotation"], hours=lambda j: WORK, cell_at=lambda k, j: CELLS[11],
           imei_at=lambda d, j: f"86123420{d:03d}{j // 4:04d}")
    f.bank(BANKS["bank_inbound"], hours=lambda j: WORK, cell_at=lambda k, j: CELLS[12 + (k // 4) % 4],
           imei_at=lambda d, j: f"8612343{j:08d}", inbound_from=True, accomplices=("13912340001", "13912340002"))
    f.bank(BANKS["bank_shifts_a"], hours=lambda j: range(8, 14), cell_at=lambda k, j: CELLS[17],
           imei_at=lambda d, j: f"8612344{j:08d}")
    f.bank(BANKS["bank_shifts_b"], hours=lambda j: range(14, 21), cell_at=lambda k, j: CELLS[17],
           imei_at=lambda d, j: f"8612345{j:08d}")
    f.bank(BANKS["bank_two_sites"], hours=lambda j: WORK, cell_at=lambda k, j: CELLS[18 + j % 2],
           imei_at=lambda d, j: f"8612346{j:08d}")
    f.crowd(CROWD, CELLS[25])
    return f.write(tmp_path_factory.mktemp("frames"))


def context(folder, work):
    ctx, _ = open_context(workdir=work, cdr=folder / "cdr.csv", cells=folder / "cells.csv")
    return ctx


@pytest.fixture(scope="module")
def batch(frames, tmp_path_factory):
    ctx = context(frames, tmp_path_factory.mktemp("w"))
    det = SimboxDetector()
    return ctx, det.groups(ctx), det.detect(ctx)


def _members(alerts) -> dict[str, pd.Timestamp]:
    return {a.subject: pd.Timestamp(a.evidence["first_alert_time"]) for a in alerts if a.subject_type == "msisdn"}


def test_every_bank_kind_is_found_and_the_crowd_is_not(batch):
    _, groups, alerts = batch
    alerted = set(_members(alerts))
    for kind, members in BANKS.items():
        assert set(members) <= alerted, kind
    assert not alerted & set(CROWD)  # 40 lines in one cell in the same hours, but social: no bank
    assert alerted <= {m for ms in BANKS.values() for m in ms}
    # each group is one bank (or one site / one shift of it)
    for g in groups:
        assert any(set(g["lines"]) <= set(ms) for ms in BANKS.values()) or set(g["lines"]) <= set(
            BANKS["bank_shifts_a"] + BANKS["bank_shifts_b"])


def test_subjects_device_cell_or_moving_group(batch):
    _, groups, alerts = batch
    by_member = {m: g for g in groups for m in g["lines"]}
    moving = by_member[BANKS["bank_moving"][0]]
    assert moving["kind"] == "group" and moving["cells"] >= 5 and moving["moves"] >= 5
    assert by_member[BANKS["bank_handsets"][0]]["kind"] == "cell"
    assert by_member[BANKS["bank_handsets"][0]]["subject"] == CELLS[10]
    assert by_member[BANKS["bank_imei_rotation"][0]]["kind"] == "imei"
    # the moving group has no group row; its members' alerts carry the group and where it was
    assert not [a for a in alerts if a.subject_type != "msisdn" and set(a.evidence["lines"]) & set(BANKS["bank_moving"])]
    member = next(a for a in alerts if a.subject == BANKS["bank_moving"][0])
    assert member.evidence["group_id"] == moving["group_id"] and sorted(member.evidence["lines"]) == BANKS["bank_moving"]
    assert len({s["cell_id"] for s in member.evidence["track"]}) >= 5
    text = member.reasons_text()
    assert "10个号码" in text and "一起移动" in text and "3天内" in text
    inbound = by_member[BANKS["bank_inbound"][0]]
    assert inbound["inside_calls"] > 0 and set(inbound["accomplices"]) == {"13912340001", "13912340002"}


def test_first_alerts_are_hour_ends_within_the_first_day(batch):
    _, groups, alerts = batch
    for a in alerts:
        t = pd.Timestamp(a.evidence["first_alert_time"])
        assert t.minute == 0 and t.second == 0
        assert t <= pd.Timestamp(f"{DAYS[0]}T21:00:00+08:00")


def test_causal_truncated_run_gives_the_alerts_found_by_then(frames, batch, tmp_path):
    _, _, alerts = batch
    cut = pd.Timestamp(f"{DAYS[0]}T13:00:00+08:00")
    rows = pd.read_csv(frames / "cdr.csv", dtype=str)
    early = rows[pd.to_datetime(rows["start_time"]) < cut]
    folder = tmp_path / "cut"
    folder.mkdir()
    early.to_csv(folder / "cdr.csv", index=False)
    (folder / "cells.csv").write_text((frames / "cells.csv").read_text())
    got = _members(SimboxDetector().detect(context(folder, tmp_path / "w")))
    want = {m: t for m, t in _members(alerts).items() if t <= cut}
    assert want and got == want


def test_live_buckets_give_the_batch_members(frames, batch, tmp_path):
    import duckdb

    from fanzha.analytics.stream.score import load_subscribers, score_pass
    from fanzha.analytics.stream.state import StateStore

    _, _, alerts = batch
    ctx = context(frames, tmp_path / "ctx")
    parts = sorted((tmp_path / "ctx" / "store" / "cdr").glob("day=*/*.parquet"))
    hourly = tmp_path / "hourly"
    hourly.mkdir()
    con = duckdb.connect()
    paths = []
    for p in parts:  # the stored records, one file per clock hour, as a live feed would bring them
        hours = [r[0] for r in con.execute(f"SELECT DISTINCT ts // 3600 FROM read_parquet('{p}') ORDER BY 1").fetchall()]
        for h in hours:
            out = hourly / f"{h}.parquet"
            con.execute(f"COPY (SELECT * FROM read_parquet('{p}') WHERE ts // 3600 = {h}) TO '{out}' (FORMAT parquet)")
            paths.append((h, out))
    assert ctx.start is not None
    state = StateStore(tmp_path / "state.duckdb", lateness_s=10**9, threads=1)
    subs = load_subscribers(None)
    live: dict[str, pd.Timestamp] = {}
    for _, path in sorted(paths):
        state.apply_parts([("cdr", path)])
        sp = score_pass(state, models={}, subscribers=subs, detectors=("simbox",))
        state.clear_dirty()
        for m, t in _members(sp.alerts).items():
            live.setdefault(m, t)
    state.close()
    assert live == _members(alerts)


def test_cell_anomaly_names_the_moving_banks_cells_in_turn(batch):
    from fanzha.analytics.detectors.cell_anomaly import CellAnomalyDetector

    ctx, groups, _ = batch
    moving = next(g for g in groups if BANKS["bank_moving"][0] in g["lines"])
    cells = {a.subject: a for a in CellAnomalyDetector().detect(ctx)}
    named = [c for c in CELLS[:6] if c in cells and cells[c].evidence["simbox_groups"] == [moving["group_id"]]]
    assert named == CELLS[:6]  # every cell the car stopped in, though no member stays anywhere
    first = min(pd.Timestamp(cells[c].evidence["first_alert_time"]) for c in named)
    assert first >= pd.Timestamp(moving["first_alert_ts"], unit="s", tz="UTC")  # not before the bank was known
    assert "随猫池一起移动" in cells[CELLS[0]].reasons_text()


KINDS = ("bank_moving", "bank_handsets", "bank_imei_rotation", "bank_inbound", "bank_shifts", "bank_two_sites")


@pytest.fixture(scope="module")
def tactics_province(tmp_path_factory):
    from fanzha.sim import simulate

    out = tmp_path_factory.mktemp("tactics")
    toml = out / "province.toml"
    toml.write_text("[tactics]\n" + "".join(f"{k} = 0.012\n" for k in KINDS) + "crowd = 0.06\n", encoding="utf-8")
    simulate(lines=3000, days=3, seed=17, out=out / "p", config=toml, workers=1)
    return out / "p"


def test_simulated_bank_kinds_are_found_and_crowds_are_not(tactics_province, tmp_path):
    p = tactics_province
    ctx, _ = open_context(workdir=tmp_path / "w", cdr=p / "cdr", sms=p / "sms", subscribers=p / "subscribers.csv",
                          cells=p / "cells.csv")
    alerted = set(_members(SimboxDetector().detect(ctx)))
    labels = pd.read_csv(p / "labels.csv", dtype=str, keep_default_na=False)
    # SIMs that barely worked as bank SIMs (a handful of calls in three days) cannot be told by behaviour
    working = set(ctx.engine.df("SELECT msisdn FROM cdr WHERE direction = 'out' GROUP BY msisdn HAVING COUNT(*) >= 30")
                  ["msisdn"].astype(str))
    for kind in KINDS:
        bank = set(labels.loc[labels["scenario"] == kind, "msisdn"]) & working
        assert bank and len(bank & alerted) >= 0.9 * len(bank), kind
    crowd = set(labels.loc[labels["scenario"] == "crowd", "msisdn"])
    assert crowd and not crowd & alerted
    wrong = alerted & set(labels.loc[labels["label"] == "normal", "msisdn"])
    assert len(wrong) <= 0.05 * len(alerted), sorted(labels.set_index("msisdn").loc[sorted(wrong), "scenario"])
