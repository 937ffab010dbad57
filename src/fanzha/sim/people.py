"""Persons: age, sex, occupation, names, resident IDs, where they live and work."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import numpy as np

from fanzha.sim.config import SimConfig
from fanzha.sim.geography import CAMPUS, RURAL, TOWN, URBAN, Cells
from fanzha.sim.rand import choice_cdf
from fanzha.sim.text import digits, id_check, to_numpy_str

OCCUPATIONS = ["student", "worker", "farmer", "self_employed", "civil_servant", "retired", "unemployed",
               "courier", "sales", "driver", "manager"]
OCC = {name: i for i, name in enumerate(OCCUPATIONS)}

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
                "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万"
                "钱严覃武戴莫孔向汤")
# Roughly Zipfian: 王李张刘陈 cover about a third of Chinese people.
SURNAME_W = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.9
GIVEN_M = list("伟强军磊勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欢阳建国志文博瑞豪")
GIVEN_F = list("芳娜敏静丽艳娟霞燕玲婷雪慧颖琳晶倩洁梅莉兰萍红琴蓉秀英华佳欣怡雨婉悦")


@dataclass
class Persons:
    age: np.ndarray
    sex: np.ndarray  # 1 = male
    occ: np.ndarray
    county: np.ndarray
    home_cell: np.ndarray
    work_cell: np.ndarray  # -1: none
    place1: np.ndarray
    place2: np.ndarray
    trip_cell: np.ndarray
    id_no: np.ndarray
    name: np.ndarray
    household: np.ndarray

    def __len__(self) -> int:
        return len(self.age)

    @staticmethod
    def concat(parts: list[Persons]) -> Persons:
        return Persons(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Persons)})


def cell_weights(cells: Cells) -> np.ndarray:
    """Where people live: many per cell in towns, few in the countryside."""
    w = np.select([cells.kind == URBAN, cells.kind == TOWN, cells.kind == RURAL], [3.0, 1.6, 0.7], 0.0)
    return w


def make_persons(*, rng: np.random.Generator, n: int, cfg: SimConfig, cells: Cells, start: date,
                 occ: np.ndarray | None = None, age_range: tuple[int, int] | None = None,
                 foreign_id_share: float | None = None) -> Persons:
    """N persons. OCC forces occupations (codes), AGE_RANGE forces ages, FOREIGN_ID_SHARE the share of
    IDs from outside Xianning (used for fraud gangs, who often come from elsewhere)."""
    pop = cfg.population
    if occ is None:
        names = list(pop.occupations)
        occ = np.array([OCC[x] for x in names])[choice_cdf(rng, np.array(list(pop.occupations.values())), n)]
    occ = np.asarray(occ)
    age = np.select(
        [occ == OCC["student"], occ == OCC["retired"], occ == OCC["farmer"]],
        [rng.integers(18, 24, n), 60 + rng.gamma(2.0, 5.0, n).astype(int), rng.integers(30, 75, n)],
        rng.integers(20, 60, n),
    )
    if age_range is not None:
        age = rng.integers(age_range[0], age_range[1] + 1, n)
    age = np.clip(age, 16, 95)
    sex = (rng.random(n) < pop.male_share).astype(np.int8)

    # Where they live and work.
    n_counties = len(cfg.geography.counties)
    county_w = np.array([c.weight for c in cfg.geography.counties])
    county = choice_cdf(rng, county_w, n)
    home_w = cell_weights(cells)
    home = np.empty(n, dtype=np.int64)
    for ci in range(n_counties):
        m = county == ci
        idx = np.flatnonzero(home_w * (cells.county == ci) > 0)
        home[m] = idx[choice_cdf(rng, home_w[idx], int(m.sum()))]
    campus = np.flatnonzero(cells.kind == CAMPUS)
    students = occ == OCC["student"]
    if len(campus) and students.any():
        home[students] = campus[rng.integers(0, len(campus), int(students.sum()))]
        county[students] = cells.county[home[students]]
    near = cells.nearest(home, 8)
    work = np.full(n, -1, dtype=np.int64)
    commuters = np.isin(occ, [OCC[x] for x in ("worker", "civil_servant", "self_employed", "sales", "manager")])
    seat = np.array([cells.of(ci, (URBAN,))[0] for ci in range(n_counties)])
    to_seat = commuters & (rng.random(n) < 0.55)
    urban_of = [cells.of(ci, (URBAN,)) for ci in range(n_counties)]
    for ci in range(n_counties):
        m = to_seat & (county == ci)
        work[m] = urban_of[ci][rng.integers(0, len(urban_of[ci]), int(m.sum()))]
    m = commuters & ~to_seat
    work[m] = near[m, rng.integers(2, 8, int(m.sum()))]
    m = occ == OCC["farmer"]
    work[m] = near[m, rng.integers(1, 4, int(m.sum()))]
    if len(campus) and students.any():
        work[students] = campus[rng.integers(0, len(campus), int(students.sum()))]
    # Couriers and drivers roam; their work cell is where the day starts.
    m = np.isin(occ, [OCC["courier"], OCC["driver"]])
    work[m] = seat[county[m]]
    place1 = near[np.arange(n), rng.integers(1, 5, n)]
    place2 = near[np.arange(n), rng.integers(3, 8, n)]
    # Trips: mostly Wuhan and the other big cities, sometimes another county seat.
    city = np.flatnonzero(cells.kind == 4)
    trip = np.where(rng.random(n) < 0.7, city[rng.integers(0, len(city), n)], seat[rng.integers(0, n_counties, n)])

    # Resident IDs: division of birth, birth date, sequence (odd = male), check character.
    local_share = np.where(students, pop.student_local_id_share, pop.local_id_share)
    if foreign_id_share is not None:
        local_share = np.full(n, 1 - foreign_id_share)
    local = rng.random(n) < local_share
    codes_local = np.array([c.code for c in cfg.geography.counties])
    # Most locals were born in the county they live in.
    born = np.where(rng.random(n) < 0.85, county, rng.integers(0, n_counties, n))
    other = np.array(cfg.ids.other_divisions)
    division = np.where(local, codes_local[born], other[rng.integers(0, len(other), n)])
    birth = (np.datetime64(start.isoformat(), "D") - (age * 365.25 + rng.integers(0, 365, n)).astype("timedelta64[D]"))
    body = np.empty((n, 17), dtype=np.uint8)
    body[:, 0:6] = np.frombuffer("".join(division).encode(), dtype=np.uint8).reshape(n, 6)
    body[:, 6:14] = np.frombuffer(np.datetime_as_string(birth, unit="D").astype("S10").tobytes(), dtype=np.uint8
                                  ).reshape(n, 10)[:, [0, 1, 2, 3, 5, 6, 8, 9]]
    body[:, 14:17] = digits(rng.integers(0, 500, n) * 2 + sex, 3)
    ident = np.concatenate([body, id_check(body)[:, None]], axis=1)
    id_no = to_numpy_str(ident)

    sur = np.array(SURNAMES)[choice_cdf(rng, SURNAME_W, n)]
    pool_m, pool_f = np.array(GIVEN_M), np.array(GIVEN_F)
    g1 = np.where(sex == 1, pool_m[rng.integers(0, len(pool_m), n)], pool_f[rng.integers(0, len(pool_f), n)])
    g2 = np.where(sex == 1, pool_m[rng.integers(0, len(pool_m), n)], pool_f[rng.integers(0, len(pool_f), n)])
    two = rng.random(n) < 0.7
    name = np.char.add(sur, np.where(two, np.char.add(g1, g2), g1))

    return Persons(age=age.astype(np.int16), sex=sex, occ=occ.astype(np.int8), county=county.astype(np.int16),
                   home_cell=home, work_cell=work, place1=place1, place2=place2, trip_cell=trip,
                   id_no=id_no, name=name, household=np.zeros(n, dtype=np.int64))


def unique_ids(persons: Persons, rng: np.random.Generator) -> None:
    """Make ID numbers unique by re-drawing the sequence digits of duplicates (keeps sex parity)."""
    for _ in range(50):
        # The first 17 digits identify an ID (the 18th follows from them): compare them as integers.
        key = (np.frombuffer(persons.id_no.astype("S18").tobytes(), dtype=np.uint8).reshape(-1, 18)[:, :17]
               .astype(np.int64) - ord("0")) @ 10 ** np.arange(16, -1, -1, dtype=np.int64)
        # Every repeat after an ID's first occurrence (a stable sort keeps the first one first).
        o = np.argsort(key, kind="stable")
        dup = np.sort(o[1:][key[o[1:]] == key[o[:-1]]])
        if not len(dup):
            return
        body = np.frombuffer(persons.id_no[dup].astype("S18").tobytes(), dtype=np.uint8).reshape(-1, 18)[:, :17].copy()
        body[:, 14:17] = digits(rng.integers(0, 500, len(dup)) * 2 + persons.sex[dup], 3)
        persons.id_no[dup] = to_numpy_str(np.concatenate([body, id_check(body)[:, None]], axis=1))
    raise RuntimeError("could not make resident IDs unique")


def assign_households(persons: Persons, rng: np.random.Generator) -> None:
    """Persons sharing a home cell are grouped into households of 1–4 (dorm rooms for students)."""
    order = np.argsort(persons.home_cell, kind="stable")
    sizes = rng.choice([1, 2, 3, 4], p=[0.25, 0.35, 0.25, 0.15], size=len(order))
    hh_of_pos = np.repeat(np.arange(len(sizes)), sizes)[: len(order)]
    # Households never span two cells.
    cell_sorted = persons.home_cell[order]
    breaks = np.r_[0, np.cumsum(cell_sorted[1:] != cell_sorted[:-1])]
    key = hh_of_pos + breaks * len(order)
    _, hh = np.unique(key, return_inverse=True)
    persons.household[order] = hh
