"""The fraud-caller, resold-card and look-alike tactics of `fanzha.sim.tactics` in the generator.

Each tactic is switched by its share of lines in ``[tactics]``; with every share at 0 nothing here draws a
random number or touches a line, so the default province is the same byte for byte. The generator calls
in at a few places only:

- `add_lines` (world, before the lines are shuffled): the tactics' own new lines — rings of slow callers,
  SMS-first callers and callers that keep a social life, and the new lines of people who just moved here;
- `convert_lines` (world, after): ordinary lines that take a tactic — bought old lines, cards resold within
  the province or city, telemarketers, delivery riders, travellers, phone changers — and the per-line facts
  the traffic needs (`TacticState`);
- `TacticState.keep_social` (traffic, social and service events): of a bought line's old contacts only a
  share still call it, a resold card's stop, a mover's contacts appear one by one;
- `TacticState.events` (traffic, per day and chunk): a new holder's own contacts, a traveller's calls to
  local numbers where he is;
- `TacticState.locate` (traffic): fraud phones and new holders about their place, riders about the town,
  travellers in the far city.

Slow callers, SMS-first callers, telemarketers and delivery riders are roles (``[roles.*]``) made by
`Traffic.roles` like the others; fraud roles keep their camouflage (``fraud.camouflage``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fanzha.sim.config import SimConfig
from fanzha.sim.geography import CITY, URBAN, Cells
from fanzha.sim.people import OCC, Persons
from fanzha.sim.rand import hash_uniform, int_range, stream
from fanzha.sim.world import DAY, L_, MOBILE, NEVER, R, Lines

# Fraud phones of the tactics: camouflage ties and camouflaged rates, like fraud_caller lines.
FRAUD_PHONE_ROLES = ("slow_caller", "sms_first")
# Roles whose lines have an ordinary social life (their ties are built like anyone's).
SOCIAL_ROLES = ("resold_local", "telemarketer", "delivery_rider")
# Fraud lines that keep their social ties although their role is fraud_caller.
SOCIAL_FRAUD = ("social_caller", "bought_old_line")
# Slow callers keep a steady pace: a narrower spread of daily volume between lines than bulk callers' 1.2.
VIGOUR_SPREAD = {R["slow_caller"]: 0.9}
# Lines converted from ordinary lines turn within this fraction of the window, so it shows both sides.
TURN = (0.25, 0.7)
MOVER_RAMP_S = 14 * DAY  # a mover's contacts appear over about two weeks after the line opens
CONTACT_CALLS, CONTACT_SMS = 3.0, 1.0  # a new holder's calls and SMS a day with his own contacts
TRAVEL_CALLS = 3.0  # a traveller's calls a day to local numbers where he is (hotel, taxi, client)


def _n(share: float, lines: int) -> int:
    return int(round(share * lines))


def add_lines(*, cfg: SimConfig, rng, lines: int, span: int, col, pool, pick_shop, shop_hours, devices,
              onset, rings: list[dict], local_cells: np.ndarray, add_personal_lines) -> None:
    """New lines of the tactics (world.build_world's closures are passed in: the same shops, pools, rings)."""
    tc = cfg.tactics
    for scenario, role, opened_days in (("slow_caller", "slow_caller", (1, 90)),
                                        ("sms_first", "sms_first", (1, 60)),
                                        ("social_caller", "fraud_caller", (60, 900))):
        target = _n(getattr(tc, scenario), lines)
        if target:
            _caller_rings(rng=rng, target=target, role=role, scenario=scenario, opened_days=opened_days, span=span,
                          col=col, pool=pool, pick_shop=pick_shop, shop_hours=shop_hours, devices=devices,
                          onset=onset, rings=rings, local_cells=local_cells, add_personal_lines=add_personal_lines)
    target = _n(tc.mover, lines)
    if target:
        # People who just moved here: an ID from elsewhere, a line opened days before or during the window.
        movers = pool(target, age_range=(20, 50), foreign_id_share=0.9)
        owners = movers.take(target)
        shop, clerk = pick_shop(movers.county(owners))
        opened = shop_hours(rng.uniform(-5, 0.6 * span / DAY, target))
        col.add(target, person=owners, type=MOBILE, primary=True, role=R["normal"], label=L_["normal"],
                scenario="mover", ring=-1, act_from=NEVER, act_to=NEVER, open_t=opened, shop=shop, clerk=clerk,
                status=0, fix_cell=-1, dev1=devices.new("handset", target), dev2=-1, dev_change=NEVER)


def _caller_rings(*, rng, target: int, role: str, scenario: str, opened_days, span: int, col, pool, pick_shop,
                  shop_hours, devices, onset, rings, local_cells, add_personal_lines) -> None:
    """Rings of 1–3 IDs with 1–3 lines each on a few shared handsets, as world.build_world's fraud callers."""
    people = pool(target + 3, age_range=(19, 45), foreign_id_share=0.4)
    made = 0
    while made < target:
        ring = len(rings)
        owners = people.take(int(rng.integers(1, 4)))
        per = rng.integers(1, 4, len(owners))
        n = int(min(per.sum(), target - made))
        owner_of = np.repeat(owners, per)[:n]
        start_t = onset()
        phones = devices.new("handset", max(1, n // 2 + 1))
        cell = local_cells[rng.integers(0, len(local_cells))]
        shop, clerk = pick_shop(people.county(owner_of))
        opened = shop_hours(start_t / DAY - rng.uniform(*opened_days, n))
        col.add(n, person=owner_of, type=MOBILE, primary=False, role=R[role], label=L_["fraud_caller"],
                scenario=scenario, ring=ring,
                act_from=np.maximum(start_t + rng.integers(0, 6 * 3600, n), opened + 3600), act_to=NEVER,
                open_t=opened, shop=shop, clerk=clerk, status=0, fix_cell=cell,
                dev1=phones[rng.integers(0, len(phones), n)], dev2=phones[rng.integers(0, len(phones), n)],
                dev_change=start_t + rng.integers(DAY // 2, max(DAY, span), n))
        add_personal_lines(owners, people, ring, scenario, start_t)
        rings.append({"kind": scenario, "cell": int(cell), "onset": start_t})
        made += n


@dataclass
class TacticState:
    """Per-line facts of the converted and new tactic lines, indexed like World.lines."""

    seed: int
    kept_share: float
    bought: np.ndarray  # bought old lines (role fraud_caller)
    resold: np.ndarray  # cards resold within the province (role resold_local)
    mover: np.ndarray
    roam: np.ndarray  # fraud phones of the tactics: about their ring's place after act_from
    rider: np.ndarray
    traveller: np.ndarray
    away_from: np.ndarray  # traveller's trip (absolute seconds), NEVER: none
    away_to: np.ndarray
    away_cell0: np.ndarray  # first cell of the far city, and how many it has
    away_ncell: np.ndarray
    hour_shift: np.ndarray  # seconds the new holder's day is shifted from the owner's
    n_contacts: np.ndarray  # the new holder's own contacts
    filtered: np.ndarray = None  # lines keep_social looks at
    located: np.ndarray = None  # lines locate looks at

    def __post_init__(self):
        self.filtered = self.bought | self.resold | self.mover
        self.located = self.roam | self.resold | self.rider | self.traveller

    # ------------------------------------------------------------- social life
    def keep_social(self, ln: Lines, ev, abs_t: np.ndarray, n_lines: int):
        """EV (social or service events) as they still happen, and which of them do: after a bought line
        turns, the owner calls no one from it, but a share of his contacts keep calling it (their calls on
        the tie, whoever would have started them, now come in); after a card is resold in the province, the
        owner's contacts and services stop; a mover's contacts start one by one."""
        from fanzha.sim.traffic import SOURCE_SOCIAL, Events

        keep = np.ones(len(ev.t), bool)
        flip = np.zeros(len(ev.t), bool)
        social = ev.source == SOURCE_SOCIAL
        for node, other, inbound in ((ev.a, ev.b, False), (ev.b, ev.a, True)):
            own = node < n_lines
            hit = np.flatnonzero(own & self.filtered[np.where(own, node, 0)])
            if not len(hit):
                continue
            line, peer, t = node[hit], other[hit], abs_t[hit]
            after = t >= ln.act_from[line]
            h = hash_uniform(self.seed + 17, line, peer)
            ok = np.ones(len(hit), bool)
            b = self.bought[line] & after & social[hit]
            ok[b] = h[b] < self.kept_share
            if not inbound:
                flip[hit[b & ok]] = True
            ok[self.resold[line] & after] = False
            m = self.mover[line] & social[hit]
            ok[m] &= t[m] >= ln.open_t[line[m]] + (h[m] * MOVER_RAMP_S).astype(np.int64)
            keep[hit] &= ok
        if flip.any():
            ev = Events(np.where(flip, ev.b, ev.a), np.where(flip, ev.a, ev.b), ev.t, ev.dur, ev.source, ev.role_line)
        return ev, keep

    # ------------------------------------------------------------- events
    def events(self, traffic, day: int, a: int, b: int):
        """Calls and SMS of the tactics that no role table makes, for lines [a, b) on DAY."""
        from fanzha.sim.traffic import SOURCE_ROLE, SOURCE_SOCIAL, Events

        w, ln = traffic.w, traffic.w.lines
        rng = stream(w.seed, "tactics-traffic", day, a)
        d0, d1 = day * DAY, (day + 1) * DAY
        cfg = w.cfg.calling
        calls, sms = [], []
        # The new holder of a resold card: his own few contacts, on his own hours.
        idx = a + np.flatnonzero(self.resold[a:b] & traffic.line_active[a:b] & (ln.act_from[a:b] < d1))
        for out, lam in ((calls, CONTACT_CALLS), (sms, CONTACT_SMS)):
            line = np.repeat(idx, rng.poisson(lam, len(idx)))
            n = len(line)
            # A few strong contacts carry most of the traffic.
            k = (rng.random(n) ** 2 * self.n_contacts[line]).astype(np.int64)
            peer = self._contact(traffic, line, k)
            t = (traffic.prof.times(rng, "day", n) + self.hour_shift[line]) % DAY
            if out is calls:
                dur = np.minimum(rng.lognormal(np.log(cfg.duration_median_s), cfg.duration_sigma, n),
                                 cfg.max_duration_s).astype(np.int32) + 1
                dur[rng.random(n) >= cfg.answered] = 0
            else:
                dur = np.full(n, -1, np.int32)
            fwd = rng.random(n) < 0.5
            ev = Events(np.where(fwd, line, peer), np.where(fwd, peer, line), t, dur,
                        np.full(n, SOURCE_ROLE, np.int8), line)
            out.append(traffic._in_window(ev, day))
        # Travellers: calls to local numbers of the place they are in, numbers they never called before.
        idx = a + np.flatnonzero(self.traveller[a:b] & (self.away_from[a:b] < d1) & (self.away_to[a:b] > d0))
        line = np.repeat(idx, rng.poisson(TRAVEL_CALLS, len(idx)))
        n = len(line)
        t = traffic.prof.times(rng, "business", n)
        inside = (d0 + t >= self.away_from[line]) & (d0 + t < self.away_to[line])
        line, t = line[inside], t[inside]
        n = len(line)
        peer = rng.integers(w.ext.start, w.ext.stop, n)
        dur = rng.lognormal(np.log(50), 0.9, n).astype(np.int32) + 1
        dur[rng.random(n) >= 0.85] = 0
        calls.append(traffic._drop_inactive(Events(line, peer, t, dur, np.full(n, SOURCE_SOCIAL, np.int8),
                                                   np.full(n, -1)), day))
        return Events.concat(calls), Events.concat(sms)

    def _contact(self, traffic, line: np.ndarray, k: np.ndarray) -> np.ndarray:
        """The K-th own contact of LINE's new holder: the same number every time it is asked."""
        w = traffic.w
        own = traffic.local_targets
        h = hash_uniform(self.seed + 29, line, k)
        on_net = hash_uniform(self.seed + 31, line, k) < traffic.own_share
        n_ext = w.ext.stop - w.ext.start
        return np.where(on_net, own[np.minimum((h * len(own)).astype(np.int64), len(own) - 1)],
                        w.ext.start + np.minimum((h * n_ext).astype(np.int64), n_ext - 1))

    # ------------------------------------------------------------- places
    def locate(self, traffic, line: np.ndarray, day: int, t: np.ndarray, cell: np.ndarray) -> np.ndarray:
        sel = np.flatnonzero(self.located[line])
        if not len(sel):
            return cell
        w, ln = traffic.w, traffic.w.lines
        cell = cell.copy()
        li, ts = line[sel], t[sel]
        abs_t = day * DAY + ts
        hour = ts // 3600
        u = hash_uniform(self.seed + 37, li, day, hour)
        # Fraud phones and new holders move about their place (three or four nearby cells).
        m = (self.roam[li] | self.resold[li]) & (ln.fix_cell[li] >= 0) & (abs_t >= ln.act_from[li])
        if m.any():
            near = traffic._near(ln.fix_cell[li[m]])
            cell[sel[m]] = near[np.arange(int(m.sum())), (u[m] * 4).astype(np.int64)]
        # Riders criss-cross the town at lunch and dinner time and in between, a cell every quarter hour.
        m = self.rider[li] & (hour >= 10) & (hour < 21) & (w.persons.work_cell[ln.person[li]] >= 0)
        if m.any():
            near = traffic._near(w.persons.work_cell[ln.person[li[m]]])
            q = hash_uniform(self.seed + 41, li[m], day, ts[m] // 900)
            cell[sel[m]] = near[np.arange(int(m.sum())), (q * near.shape[1]).astype(np.int64)]
        # Travellers are in the far city, day and night.
        m = self.traveller[li] & (abs_t >= self.away_from[li]) & (abs_t < self.away_to[li])
        if m.any():
            cell[sel[m]] = self.away_cell0[li[m]] + (u[m] * self.away_ncell[li[m]]).astype(np.int64)
        return cell


def convert_lines(*, seed: int, cfg: SimConfig, persons: Persons, ln: Lines, cells: Cells, devices, rings: list[dict],
                  span: int, days: int) -> TacticState | None:
    """Ordinary lines that take a tactic; None when no tactic of this module is on."""
    tc = cfg.tactics
    names = ("bought_old_line", "resold_province", "resold_city", "telemarketer", "delivery_rider", "traveller",
             "phone_changer", "slow_caller", "sms_first", "social_caller", "mover")
    if not any(getattr(tc, name) > 0 for name in names):
        return None
    rng = stream(seed, "tactics-fraud")
    L = len(ln)
    age, occ = persons.age[ln.person], persons.occ[ln.person]
    free = (ln.role == R["normal"]) & (ln.status == 0) & (ln.type == MOBILE) & ln.primary & (ln.scenario == "")
    state = dict(away_from=np.full(L, NEVER), away_to=np.full(L, NEVER), away_cell0=np.zeros(L, np.int64),
                 away_ncell=np.ones(L, np.int64), hour_shift=np.zeros(L, np.int64),
                 n_contacts=np.ones(L, np.int64))

    def take(share: float, mask: np.ndarray) -> np.ndarray:
        pick = rng.permutation(np.flatnonzero(free & mask))[:_n(share, L)]
        free[pick] = False
        return np.sort(pick)

    def turn() -> int:
        return int(rng.uniform(*TURN) * span)

    local = np.flatnonzero(cells.county >= 0)
    # --- Bought old lines: years of the owner's life, then a gang's phone.
    idx = take(tc.bought_old_line, (ln.open_t < -730 * DAY) & (age >= 22) & (age <= 70))
    for group in _groups(rng, idx, (1, 4)):
        start_t = turn()
        phones = devices.new("handset", max(1, len(group) // 2 + 1))
        ln.role[group], ln.label[group], ln.scenario[group] = R["fraud_caller"], L_["fraud_caller"], "bought_old_line"
        ln.ring[group] = len(rings)
        ln.act_from[group] = start_t + rng.integers(0, 6 * 3600, len(group))
        ln.act_to[group] = NEVER
        ln.fix_cell[group] = cell = local[rng.integers(0, len(local))]
        ln.dev2[group] = phones[rng.integers(0, len(phones), len(group))]
        ln.dev_change[group] = ln.act_from[group]
        rings.append({"kind": "bought_old_line", "cell": int(cell), "onset": start_t})
    # --- Cards resold or lent within the province / the same city: a new holder, his contacts, his hours.
    province = np.array([str(r).startswith(cfg.geography.counties[0].code[:2]) for r in cells.region_code])
    for scenario, (lo, hi), per_buyer in (("resold_province", (50, 150), tuple(cfg.fraud.resold_per_buyer)),
                                          ("resold_city", (2, 25), (1, 1))):
        idx = take(getattr(tc, scenario), (age >= 18) & (age <= 60))
        where = np.flatnonzero(province)
        for group in _groups(rng, idx, per_buyer):
            d = cells.distance_km(persons.home_cell[ln.person[group]][:, None], where[None, :])
            fits = np.flatnonzero(((d >= lo) & (d <= hi)).all(axis=0))
            if not len(fits):  # the group's homes are far apart: the first owner's range decides
                fits = np.flatnonzero((d[0] >= lo) & (d[0] <= hi))
            if not len(fits):
                fits = np.array([int(np.argmax(d[0]) if lo > 10 else np.argmin(d[0]))])
            cell = where[fits[rng.integers(0, len(fits))]]
            start_t = turn()
            k = len(group)
            ln.role[group], ln.label[group], ln.scenario[group] = R["resold_local"], L_["resold"], scenario
            ln.ring[group] = len(rings)
            ln.act_from[group] = start_t + rng.integers(0, DAY, k)
            ln.act_to[group] = NEVER
            ln.fix_cell[group] = cell
            new = rng.random(k) < tc.resold_new_handset
            ln.dev2[group] = np.where(new, devices.new("handset", k), -1)
            ln.dev_change[group] = np.where(new, ln.act_from[group], NEVER)
            # Half of the new holders keep other hours than the owner (night shifts, late risers).
            state["hour_shift"][group] = np.where(rng.random(k) < 0.5, 0,
                                                  rng.choice([-3, -2, 2, 3, 4, 5], k) * 3600)
            state["n_contacts"][group] = int_range(rng, (4, 15), k)
            rings.append({"kind": scenario, "cell": int(cell), "onset": start_t})
    # --- Telemarketers and delivery riders: working people's lines, busy all the window.
    working = (age >= 20) & (age <= 55) & (occ != OCC["student"]) & (occ != OCC["retired"])
    seats = np.array([cells.of(ci, (URBAN,))[0] for ci in range(len(cfg.geography.counties))])
    for scenario, job in (("telemarketer", "sales"), ("delivery_rider", "courier")):
        idx = take(getattr(tc, scenario), working)
        ln.role[idx], ln.scenario[idx] = R[scenario], scenario
        ln.act_from[idx], ln.act_to[idx] = 0, NEVER
        persons.occ[ln.person[idx]] = OCC[job]
        if scenario == "delivery_rider":
            persons.work_cell[ln.person[idx]] = seats[persons.county[ln.person[idx]]]
    # --- Travellers: a few days in a far city.
    idx = take(tc.traveller, (age >= 20) & (age <= 70))
    ln.scenario[idx] = "traveller"
    city = np.flatnonzero(cells.kind == CITY)
    if len(idx) and not len(city):
        raise ValueError("tactics.traveller needs a city among [[geography.remote]] to travel to")
    remote = cells.remote[city]
    first_of = {int(r): int(city[remote == r][0]) for r in np.unique(remote)}
    count_of = {int(r): int((remote == r).sum()) for r in np.unique(remote)}
    dest = rng.choice(list(first_of), len(idx))
    d_start = rng.integers(0, max(1, days - 1), len(idx))
    state["away_from"][idx] = d_start * DAY + rng.integers(6 * 3600, 11 * 3600, len(idx))
    back = d_start + int_range(rng, (2, 5), len(idx))
    state["away_to"][idx] = back * DAY + rng.integers(15 * 3600, 21 * 3600, len(idx))
    state["away_cell0"][idx] = [first_of[int(r)] for r in dest]
    state["away_ncell"][idx] = [count_of[int(r)] for r in dest]
    # --- Phone changers: a new handset in the middle of the window, nothing else changes.
    idx = take(tc.phone_changer, np.ones(L, bool))
    ln.scenario[idx] = "phone_changer"
    ln.dev2[idx] = devices.new("handset", len(idx))
    ln.dev_change[idx] = (rng.uniform(0.25, 0.75, len(idx)) * span).astype(np.int64)

    role = ln.role
    return TacticState(
        seed=seed, kept_share=tc.bought_old_line_kept_contacts,
        bought=ln.scenario == "bought_old_line", resold=role == R["resold_local"], mover=ln.scenario == "mover",
        roam=np.isin(role, [R[r] for r in FRAUD_PHONE_ROLES]) | (ln.scenario == "bought_old_line"),
        rider=role == R["delivery_rider"], traveller=ln.scenario == "traveller", **state)


def _groups(rng, idx: np.ndarray, size: tuple[int, int]):
    pos = 0
    while pos < len(idx):
        k = int(int_range(rng, size))
        yield idx[pos:pos + k]
        pos += k


def social_life(ln: Lines) -> np.ndarray:
    """Fraud lines that keep their social ties (the callers with a social life, the bought old lines)."""
    return np.isin(ln.scenario, SOCIAL_FRAUD)
