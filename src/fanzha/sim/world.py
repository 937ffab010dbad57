"""The synthetic province before any traffic: persons, lines, shops, devices, scenario rings.

Index spaces: own lines are nodes 0..L-1 (the subscribers); other carriers' numbers, service numbers,
foreign numbers and SMS senders follow, so a call is a pair of node indices."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa

from fanzha.sim.config import SimConfig
from fanzha.sim.devices import DeviceRegistry
from fanzha.sim.geography import BORDER, TOWN, URBAN, Cells, build_cells
from fanzha.sim.numbers import A2P_SENDERS, SERVICE_NUMBERS, fixed_numbers, foreign_numbers, iot_numbers, mobile_numbers
from fanzha.sim.people import OCC, Persons, assign_households, make_persons, unique_ids
from fanzha.sim.rand import choice_cdf, int_range, stream
from fanzha.sim.text import digits, to_numpy_str

TYPES = ["mobile", "fixed", "iot"]
MOBILE, FIXED, IOT = range(3)
STATUS = ["active", "suspended", "shutdown", "cancelled"]
LABELS = ["normal", "fraud_caller", "simbox", "resold", "mule"]
ROLES = ["normal", "courier", "sales", "customer_service", "taxi_dispatch",
         "fraud_caller", "elderly_care", "simbox", "bulk_fraud", "resold", "mule"]
R = {name: i for i, name in enumerate(ROLES)}
L_ = {name: i for i, name in enumerate(LABELS)}
DAY = 86400
NEVER = np.iinfo(np.int64).max // 4


@dataclass
class Lines:
    person: np.ndarray
    type: np.ndarray
    primary: np.ndarray
    role: np.ndarray
    label: np.ndarray
    scenario: np.ndarray  # str: scenario or hard-negative kind, "" for ordinary lines
    ring: np.ndarray  # -1: none
    act_from: np.ndarray  # seconds from window start when the role behaviour starts (NEVER: not)
    act_to: np.ndarray
    open_t: np.ndarray  # seconds from window start (negative: before it)
    shop: np.ndarray
    clerk: np.ndarray
    status: np.ndarray
    fix_cell: np.ndarray  # role location (SIM bank flat, resold card's border town); -1 none
    dev1: np.ndarray = field(default=None)
    dev2: np.ndarray = field(default=None)
    dev_change: np.ndarray = field(default=None)
    msisdn: np.ndarray = field(default=None)
    imsi: np.ndarray = field(default=None)

    def __len__(self) -> int:
        return len(self.person)


@dataclass
class World:
    cfg: SimConfig
    seed: int
    start: date
    days: int
    cells: Cells
    persons: Persons
    lines: Lines
    imei: np.ndarray  # device index → IMEI string
    shop_ids: np.ndarray
    shop_county: np.ndarray
    clerk_ids: np.ndarray
    clerk_shop: np.ndarray
    node_msisdn: np.ndarray  # str, all nodes
    node_cell: np.ndarray  # home cell of every node (own and external), for communities
    n_lines: int
    ext: slice  # other carriers' mobile numbers
    service: slice
    foreign: slice
    a2p: slice
    rings: list[dict]
    node_msisdn_pa: pa.Array = None
    imei_pa: pa.Array = None
    cell_pa: pa.Array = None
    crowds: list[dict] = field(default_factory=list)  # dense crowd sites (fanzha.sim.tactics_banks)

    @property
    def active(self) -> np.ndarray:
        return self.lines.status == 0


class _Collector:
    """Accumulates blocks of lines (scalar or array columns) before they become one Lines table."""

    def __init__(self):
        self.blocks: list[dict] = []

    def add(self, n: int, **cols):
        self.blocks.append({k: np.broadcast_to(np.asarray(v), (n,)).copy() for k, v in cols.items()})

    def build(self) -> dict:
        keys = self.blocks[0].keys()
        return {k: np.concatenate([b[k] for b in self.blocks]) for k in keys}


def build_world(*, cfg: SimConfig, lines: int, days: int, seed: int, start: date) -> World:
    from fanzha.sim.tactics_banks import add_bank_tactics, add_crowds  # it builds on this module's tables

    rng = stream(seed, "world")
    cells = build_cells(cfg=cfg, lines=lines, seed=seed)
    span = days * DAY
    fr = cfg.fraud
    cam = fr.camouflage
    n_counties = len(cfg.geography.counties)

    # Shops (营业厅) and their clerks.
    n_shops = max(n_counties, int(round(cfg.shops.per_10k_lines * lines / 1e4)))
    county_w = np.array([c.weight for c in cfg.geography.counties])
    shop_county = np.r_[np.arange(n_counties), choice_cdf(rng, county_w, n_shops - n_counties)]
    shop_ids = np.array([f"YYT-{cfg.geography.counties[c].code}-{i:04d}" for i, c in enumerate(shop_county)])
    per_shop = int_range(rng, cfg.shops.clerks_per_shop, n_shops)
    clerk_shop = np.repeat(np.arange(n_shops), per_shop)
    clerk_ids = np.array([f"CLK-{shop_ids[s][4:]}-{k:02d}" for s, k in
                          zip(clerk_shop, np.concatenate([np.arange(p) for p in per_shop]))])
    shop_first_clerk = np.r_[0, np.cumsum(per_shop)[:-1]]
    shops_of_county = [np.flatnonzero(shop_county == c) for c in range(n_counties)]

    def pick_shop(county: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shop = np.empty(len(county), dtype=np.int64)
        for c in range(n_counties):
            m = county == c
            shop[m] = shops_of_county[c][rng.integers(0, len(shops_of_county[c]), int(m.sum()))]
        clerk = shop_first_clerk[shop] + (rng.random(len(shop)) * per_shop[shop]).astype(np.int64)
        return shop, clerk

    def shop_hours(day_offsets: np.ndarray) -> np.ndarray:
        # Opened during shop hours, 09:00–18:00.
        return np.floor(day_offsets).astype(np.int64) * DAY + rng.integers(9 * 3600, 18 * 3600, len(day_offsets))

    local_cells = np.flatnonzero(np.isin(cells.kind, (URBAN, TOWN)))
    border_cells = np.flatnonzero(cells.kind == BORDER)
    devices = DeviceRegistry(stream(seed, "devices"))
    col = _Collector()
    person_parts: list[Persons] = []
    n_persons = 0
    rings: list[dict] = []

    def onset() -> int:
        return int(rng.uniform(*fr.window_onset) * span)

    def new_persons(n: int, **kw) -> tuple[np.ndarray, Persons]:
        nonlocal n_persons
        p = make_persons(rng=rng, n=n, cfg=cfg, cells=cells, start=start, **kw)
        person_parts.append(p)
        idx = np.arange(n_persons, n_persons + n)
        n_persons += n
        return idx, p

    class Pool:
        """Scenario persons drawn in one batch (cheap), handed out ring by ring."""

        def __init__(self, n: int, **kw):
            self.idx, self.p = new_persons(max(1, n), **kw)
            self.next = 0

        def take(self, n: int) -> np.ndarray:
            out = self.idx[self.next:self.next + n]
            self.next += n
            if len(out) < n:
                raise RuntimeError("scenario person pool exhausted")
            return out

        def county(self, people: np.ndarray) -> np.ndarray:
            return self.p.county[people - self.idx[0]]

    def add_personal_lines(owners: np.ndarray, pool: Pool, ring: int, scenario: str, start_t: int,
                           share: float = fr.mule_share):
        """The owners' own phones: lines under the same ID as fraud lines (mules)."""
        has = rng.random(len(owners)) < share
        k = int(has.sum())
        if not k:
            return
        shop, clerk = pick_shop(pool.county(owners[has]))
        col.add(k, person=owners[has], type=MOBILE, primary=True, role=R["mule"], label=L_["mule"],
                scenario=scenario, ring=ring, act_from=start_t, act_to=NEVER,
                open_t=shop_hours(-rng.uniform(60, 3000, k)), shop=shop, clerk=clerk, status=0, fix_cell=-1,
                dev1=devices.new("handset", k), dev2=-1, dev_change=NEVER)

    # --- Fraud callers: rings of 1–3 IDs with 1–3 fraud lines each, on a few shared handsets.
    target = int(round(fr.fraud_caller * lines))
    pool = Pool(target + 3, age_range=(19, 45), foreign_id_share=0.4)
    made = 0
    while made < target:
        ring = len(rings)
        owners = pool.take(int(rng.integers(1, 4)))
        per = rng.integers(1, 4, len(owners))
        n = int(min(per.sum(), target - made))
        owner_of = np.repeat(owners, per)[:n]
        start_t = onset()
        elderly = rng.random() < fr.elderly_care_share
        phones = devices.new("handset", max(1, n // 2 + 1))
        cell = local_cells[rng.integers(0, len(local_cells))]
        shop, clerk = pick_shop(pool.county(owner_of))
        opened = shop_hours(start_t / DAY - rng.uniform(1, 90, n))
        col.add(n, person=owner_of, type=MOBILE, primary=False, role=R["elderly_care" if elderly else "fraud_caller"],
                label=L_["fraud_caller"], scenario="elderly_care" if elderly else "fraud_caller", ring=ring,
                act_from=np.maximum(start_t + rng.integers(0, 6 * 3600, n), opened + 3600), act_to=NEVER,
                open_t=opened, shop=shop, clerk=clerk, status=0, fix_cell=cell,
                dev1=phones[rng.integers(0, len(phones), n)], dev2=phones[rng.integers(0, len(phones), n)],
                dev_change=start_t + rng.integers(DAY // 2, max(DAY, span), n))
        add_personal_lines(owners, pool, ring, "elderly_care" if elderly else "fraud_caller", start_t)
        rings.append({"kind": "elderly_care" if elderly else "fraud_caller", "cell": int(cell), "onset": start_t})
        made += n

    # --- SIM banks: tens of SIMs (bought from card sellers) in one gateway box in one flat.
    def add_bank(pool: Pool, size: int, scenario: str, kit=None) -> None:
        """One bank of SIZE SIMs. A KIT (fanzha.sim.tactics_banks) changes how it hides: its devices,
        its sites, and facts the traffic needs (routes, shifts, …) kept with the ring."""
        ring = len(rings)
        per = rng.integers(1, 5, size)
        n_owners = int(np.searchsorted(np.cumsum(per), size) + 1)
        owners = pool.take(n_owners)
        owner_of = np.repeat(owners, per[:n_owners])[:size]
        n_gateways = int(int_range(rng, fr.simbox_gateways))
        cell = local_cells[rng.integers(0, len(local_cells))]
        start_t = onset()
        # Rotation: each SIM works a stretch of days, then rests; the bank keeps a share busy.
        stretch = np.maximum(DAY, rng.uniform(0.6, 1.4, size) * fr.simbox_active_share * max(span - start_t, DAY))
        act_from = start_t + (rng.random(size) * np.maximum(span - start_t - stretch, 0)).astype(np.int64)
        shop, clerk = pick_shop(pool.county(owner_of))
        opened = shop_hours(start_t / DAY - rng.uniform(3, 60, size))
        if kit is None:
            dev1, fix_cell, facts = devices.new("gateway", n_gateways)[np.arange(size) % n_gateways], cell, {}
        else:
            dev1, fix_cell, facts = kit.build(size=size, gateways=n_gateways, cell=int(cell), start_t=start_t)
        col.add(size, person=owner_of, type=MOBILE, primary=False, role=R["simbox"], label=L_["simbox"],
                scenario=scenario, ring=ring, act_from=np.maximum(act_from, opened + 3600),
                act_to=act_from + stretch.astype(np.int64), open_t=opened, shop=shop, clerk=clerk, status=0,
                fix_cell=fix_cell, dev1=dev1, dev2=-1, dev_change=NEVER)
        # Card sellers' own phones are less often tied to the ring than a gang member's.
        add_personal_lines(owners, pool, ring, scenario, start_t, share=fr.mule_share * 0.5)
        rings.append({"kind": scenario, "cell": int(cell), "onset": start_t, **facts})

    target = int(round(fr.simbox * lines))
    pool = Pool(target + 1, age_range=(18, 32), foreign_id_share=0.3)
    made = 0
    while made < target:
        size = int(min(int_range(rng, fr.simbox_size), target - made))
        add_bank(pool, size, "simbox")
        made += size
    add_bank_tactics(cfg=cfg, lines=lines, seed=seed, span=span, cells=cells, devices=devices, add_bank=add_bank,
                     new_pool=lambda n: Pool(n, age_range=(18, 32), foreign_id_share=0.3))

    # --- Bulk openings: a few IDs open many fixed/IoT lines in one visit; the lines wake up for fraud later.
    target = int(round(fr.bulk_opening * lines))
    pool = Pool(target // 2 + fr.bulk_ids[1] + 1, age_range=(18, 28),
                foreign_id_share=0.5)
    made = 0
    while made < target:
        ring = len(rings)
        owners = pool.take(int(int_range(rng, fr.bulk_ids)))
        per = int_range(rng, fr.bulk_lines_per_id, len(owners))
        n = int(min(per.sum(), target - made))
        owner_of = np.repeat(owners, per)[:n]
        start_t = onset()
        visit = start_t - int(int_range(rng, fr.bulk_dormant_days)) * DAY - int(rng.integers(0, DAY))
        visit = (visit // DAY) * DAY + int(rng.integers(9 * 3600, 16 * 3600))
        shop = int(rng.integers(0, n_shops))
        clerk = shop_first_clerk[shop] + int(rng.integers(0, per_shop[shop]))
        typ = np.where(rng.random(n) < rng.uniform(0.3, 0.9), FIXED, IOT)
        cell = local_cells[rng.integers(0, len(local_cells))]
        col.add(n, person=owner_of, type=typ, primary=False, role=R["bulk_fraud"], label=L_["fraud_caller"],
                scenario="bulk_opening", ring=ring, act_from=start_t + rng.integers(0, DAY, n), act_to=NEVER,
                open_t=visit + np.cumsum(rng.integers(60, 400, n)), shop=shop, clerk=clerk, status=0,
                fix_cell=cell, dev1=np.where(typ == IOT, devices.new("module", n), -1), dev2=-1, dev_change=NEVER)
        add_personal_lines(owners, pool, ring, "bulk_opening", start_t)
        rings.append({"kind": "bulk_opening", "cell": int(cell), "onset": start_t, "shop": shop})
        made += n

    # --- Ordinary persons fill the remaining lines.
    scenario_lines = sum(len(b["person"]) for b in col.blocks)
    remaining = max(0, lines - scenario_lines)
    lpp = np.array(cfg.population.lines_per_person)
    counts = 1 + choice_cdf(rng, lpp, int(remaining / (lpp @ np.arange(1, len(lpp) + 1)) * 1.1) + 10)
    cum = np.cumsum(counts)
    n_norm = int(np.searchsorted(cum, remaining) + 1) if remaining else 0
    counts = counts[:n_norm]
    if n_norm:
        counts[-1] -= cum[n_norm - 1] - remaining
        counts = counts[counts > 0]
        n_norm = len(counts)
    owners, p = new_persons(n_norm)
    owner_of = np.repeat(owners, counts)
    first = np.r_[True, owner_of[1:] != owner_of[:-1]] if len(owner_of) else np.zeros(0, bool)
    et = cfg.population.extra_line_types
    extra_type = np.array([TYPES.index(t) for t in et])[choice_cdf(rng, np.array(list(et.values())), len(owner_of))]
    typ = np.where(first, MOBILE, extra_type)
    n = len(owner_of)
    shop, clerk = pick_shop(p.county[owner_of - owners[0]] if n else np.zeros(0, int))
    years = cfg.population.years_of_openings
    opened = shop_hours(-np.minimum(rng.exponential(years * 365 / 3, n), years * 365) - 1)
    st = cfg.population.status
    status = np.array([STATUS.index(s) for s in st])[choice_cdf(rng, np.array(list(st.values())), n)]
    hand = devices.new("handset", n)
    # A second mobile line often sits in the same dual-SIM handset as the first.
    prev_same = np.r_[False, (owner_of[1:] == owner_of[:-1]) & (typ[:-1] == MOBILE)] & (typ == MOBILE)
    dual = prev_same & (rng.random(n) < cfg.population.dual_sim_share)
    dev1 = np.where(typ == FIXED, -1, np.where(typ == IOT, devices.new("module", n), hand))
    dev1[dual] = dev1[np.flatnonzero(dual) - 1]
    p_change = 1 - (1 - cfg.population.handset_change_per_day) ** days
    changes = (typ == MOBILE) & (rng.random(n) < p_change)
    dev2 = np.where(changes, devices.new("handset", n), -1)
    dev_change = np.where(changes, rng.integers(0, span, n), NEVER)
    col.add(n, person=owner_of, type=typ, primary=first, role=R["normal"], label=L_["normal"], scenario="",
            ring=-1, act_from=NEVER, act_to=NEVER, open_t=opened, shop=shop, clerk=clerk, status=status,
            fix_cell=-1, dev1=dev1, dev2=dev2, dev_change=dev_change)

    persons = Persons.concat(person_parts)
    unique_ids(persons, rng)
    assign_households(persons, rng)
    built = col.build()
    built["scenario"] = built["scenario"].astype("<U20")
    ln = Lines(**built)
    # Scenario lines are scattered among the others: the file order gives nothing away.
    perm = stream(seed, "line-order").permutation(len(ln))
    for name in ln.__dataclass_fields__:
        if getattr(ln, name) is not None:
            setattr(ln, name, getattr(ln, name)[perm])
    _hard_negatives(rng, cfg, persons, ln, cells)
    _resold(rng, cfg, persons, ln, devices, border_cells, rings, span)
    crowds = add_crowds(cfg=cfg, seed=seed, persons=persons, ln=ln, cells=cells)

    # Numbers: our operator's prefixes for own lines, other carriers' for the rest of the graph.
    L = len(ln)
    ln.msisdn = np.empty(L, dtype=object)
    m = ln.type == MOBILE
    ln.msisdn[m] = mobile_numbers(rng, cfg.network.mobile_prefixes, int(m.sum()), salt=seed)
    m = ln.type == FIXED
    ln.msisdn[m] = fixed_numbers(cfg.network.area_code, int(m.sum()), salt=seed)
    m = ln.type == IOT
    ln.msisdn[m] = iot_numbers(cfg.network.iot_prefix, int(m.sum()), salt=seed)
    ln.msisdn = ln.msisdn.astype(str)
    imsi = np.char.add(cfg.network.imsi_prefix,
                       to_numpy_str(digits((np.arange(L) * 48271 + seed * 7907) % 10**10, 10)))
    ln.imsi = np.where(ln.type == FIXED, "", imsi)

    n_ext = int(round(cfg.network.external_ratio * L))
    ext = mobile_numbers(rng, cfg.network.other_mobile_prefixes, n_ext, salt=seed + 1)
    foreign = foreign_numbers(rng, min(5000, max(20, L // 200)))
    node_msisdn = np.concatenate([ln.msisdn, ext, np.array(SERVICE_NUMBERS), foreign, np.array(A2P_SENDERS)])
    e0 = L
    s0 = e0 + n_ext
    f0 = s0 + len(SERVICE_NUMBERS)
    a0 = f0 + len(foreign)
    ext_people_cell = np.flatnonzero(cells.county >= 0)
    from fanzha.sim.people import cell_weights

    ext_cell = ext_people_cell[choice_cdf(rng, cell_weights(cells)[ext_people_cell], n_ext)]
    node_cell = np.concatenate([persons.home_cell[ln.person], ext_cell])
    world = World(cfg=cfg, seed=seed, start=start, days=days, cells=cells, persons=persons, lines=ln,
                  imei=devices.imeis(), shop_ids=shop_ids, shop_county=shop_county, clerk_ids=clerk_ids,
                  clerk_shop=clerk_shop, node_msisdn=node_msisdn, node_cell=node_cell, n_lines=L,
                  ext=slice(e0, s0), service=slice(s0, f0), foreign=slice(f0, a0),
                  a2p=slice(a0, len(node_msisdn)), rings=rings, crowds=crowds)
    world.node_msisdn_pa = pa.array(node_msisdn, type=pa.string())
    world.imei_pa = pa.array(world.imei, type=pa.string())
    world.cell_pa = pa.array(cells.cell_id, type=pa.string())
    return world


def _hard_negatives(rng, cfg: SimConfig, persons: Persons, ln: Lines, cells: Cells) -> None:
    """Legitimate heavy callers, taken from ordinary lines so their owners look like everyone else."""
    hn = cfg.hard_negatives
    L = len(ln)
    ordinary = (ln.role == R["normal"]) & (ln.status == 0)
    age = persons.age[ln.person]
    working = ordinary & (ln.type == MOBILE) & ln.primary & (age >= 20) & (age <= 55) & \
        (persons.occ[ln.person] != OCC["student"])
    cand = rng.permutation(np.flatnonzero(working))
    n_c, n_s = int(round(hn.courier * L)), int(round(hn.sales * L))
    courier, sales = cand[:n_c], cand[n_c:n_c + n_s]
    ln.role[courier], ln.scenario[courier] = R["courier"], "courier"
    ln.role[sales], ln.scenario[sales] = R["sales"], "sales"
    persons.occ[ln.person[courier]] = OCC["courier"]
    persons.occ[ln.person[sales]] = OCC["sales"]
    seats = np.array([cells.of(ci, (URBAN,))[0] for ci in range(len(cfg.geography.counties))])
    persons.work_cell[ln.person[courier]] = seats[persons.county[ln.person[courier]]]
    # Company lines: customer service desks and taxi dispatch are fixed lines of a firm's manager.
    extra = rng.permutation(np.flatnonzero(ordinary & ~ln.primary))
    n_cs, n_tx = int(round(hn.customer_service * L)), int(round(hn.taxi_dispatch * L))
    for role, idx in (("customer_service", extra[:n_cs]), ("taxi_dispatch", extra[n_cs:n_cs + n_tx])):
        ln.role[idx], ln.scenario[idx], ln.type[idx] = R[role], role, FIXED
        ln.dev1[idx], ln.dev2[idx], ln.dev_change[idx] = -1, -1, NEVER
        persons.occ[ln.person[idx]] = OCC["manager"]
    for idx in (courier, sales):
        ln.act_from[idx], ln.act_to[idx] = 0, NEVER
    ln.act_from[extra[:n_cs + n_tx]], ln.act_to[extra[:n_cs + n_tx]] = 0, NEVER


def _resold(rng, cfg: SimConfig, persons: Persons, ln: Lines, devices: DeviceRegistry, border_cells: np.ndarray,
            rings: list[dict], span: int) -> None:
    """Students who sell their real-name line: it leaves for a border town with a new handset."""
    fr = cfg.fraud
    target = int(round(fr.resold * len(ln)))
    cand = (ln.role == R["normal"]) & (ln.status == 0) & ln.primary & (ln.type == MOBILE) & \
        (persons.occ[ln.person] == OCC["student"])
    cand = rng.permutation(np.flatnonzero(cand))[:target]
    pos = 0
    while pos < len(cand):
        k = int(int_range(rng, fr.resold_per_buyer))
        idx = cand[pos:pos + k]
        pos += k
        ring = len(rings)
        start_t = int(rng.uniform(max(fr.window_onset[0], 0.15), max(fr.window_onset[1], 0.2)) * span)
        cell = border_cells[rng.integers(0, len(border_cells))]
        ln.role[idx], ln.label[idx], ln.scenario[idx], ln.ring[idx] = R["resold"], L_["resold"], "resold", ring
        ln.act_from[idx] = start_t + rng.integers(0, DAY, len(idx))
        ln.act_to[idx] = NEVER
        ln.fix_cell[idx] = cell
        ln.dev2[idx] = devices.new("burner", len(idx))
        ln.dev_change[idx] = ln.act_from[idx]
        rings.append({"kind": "resold", "cell": int(cell), "onset": start_t})
