"""Calls and SMS for one (day, chunk of own lines): events between nodes, then one record per leg
seen by our operator (an `out` row for our caller, an `in` row for our callee).

Everything is vectorised: a chunk's ties are turned into Poisson call counts, calls into times drawn
from the hourly profile, durations from log-normals; locations and handsets are looked up per leg."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from fanzha.sim.config import Role
from fanzha.sim.geography import Cells
from fanzha.sim.people import OCC
from fanzha.sim.rand import choice_cdf, hash_uniform, stream
from fanzha.sim.social import HOUSEHOLD, Ties
from fanzha.sim.tactics_banks import BankTraffic
from fanzha.sim.world import DAY, FIXED, IOT, NEVER, R, ROLES, World

FRAUD_ROLES = np.array([R["fraud_caller"], R["elderly_care"], R["simbox"], R["bulk_fraud"]])
SOURCE_SOCIAL, SOURCE_ROLE, SOURCE_SERVICE = range(3)


@dataclass
class Events:
    """Calls or messages between nodes; t is seconds from the day's midnight."""

    a: np.ndarray  # caller / sender node
    b: np.ndarray  # callee / receiver node
    t: np.ndarray
    dur: np.ndarray  # -1 for SMS
    source: np.ndarray
    role_line: np.ndarray  # own line whose role produced the event (-1: none)

    @staticmethod
    def concat(parts: list[Events]) -> Events:
        return Events(*(np.concatenate([getattr(p, f) for p in parts]) for f in Events.__dataclass_fields__))


@dataclass
class Legs:
    """Rows of a CDR/SMS file before formatting."""

    msisdn: np.ndarray
    peer: np.ndarray
    direction: np.ndarray  # 0 out, 1 in
    t: np.ndarray
    dur: np.ndarray
    cell: np.ndarray  # -1 → empty
    dev: np.ndarray  # -1 → empty

    def __len__(self) -> int:
        return len(self.t)


class Profiles:
    def __init__(self, world: World):
        c = world.cfg.calling
        self.cdf = {}
        for name, h in (("weekday", c.hourly_weekday), ("weekend", c.hourly_weekend),
                        ("business", c.hourly_business), ("fraud", c.hourly_fraud)):
            w = np.asarray(h, dtype=float)
            self.cdf[name] = np.cumsum(w / w.sum())
        self.cdf["day"] = self.cdf["weekday"]

    def times(self, rng: np.random.Generator, name: str, n: int) -> np.ndarray:
        hour = np.searchsorted(self.cdf[name], rng.random(n), side="right").clip(0, 23)
        return hour * 3600 + rng.integers(0, 3600, n)


class Traffic:
    """Generates one (day, chunk) at a time; shared lookup tables are prepared once."""

    def __init__(self, world: World, ties: Ties):
        self.w = world
        self.ties = ties
        self.prof = Profiles(world)
        ln, persons = world.lines, world.persons
        cfg = world.cfg
        self.L = world.n_lines
        self.line_active = ln.status == 0
        # Targets of fraud calls: the elderly and students are chosen far more often.
        age = persons.age[ln.person]
        occ = persons.occ[ln.person]
        ordinary = self.line_active & (ln.role == R["normal"]) & (ln.type != IOT)
        self.local_targets = np.flatnonzero(ordinary)
        w_es = np.where(age >= 60, 5.0, np.where(occ == OCC["student"], 4.0, 1.0))[self.local_targets]
        w_e = np.where(age >= 60, 12.0, 1.0)[self.local_targets]
        self.cdf_es = np.cumsum(w_es) / w_es.sum()
        self.cdf_e = np.cumsum(w_e) / w_e.sum()
        self.own_share = len(self.local_targets) / max(1, len(self.local_targets) + world.ext.stop - world.ext.start)
        # Members of each ring that are fraud lines (mules call them and are called by them).
        ring_fraud = (ln.ring >= 0) & np.isin(ln.role, FRAUD_ROLES)
        idx = np.flatnonzero(ring_fraud)
        o = np.argsort(ln.ring[idx], kind="stable")
        self.ring_members = idx[o]
        self.ring_ptr = np.searchsorted(ln.ring[self.ring_members], np.arange(len(world.rings) + 1))
        self.role_params = self._role_params()
        self.cum_rate = np.r_[0.0, np.cumsum(ties.rate, dtype=np.float64)]
        self.near_fix = {}
        self.banks = BankTraffic(self)  # the SIM-bank tactics and crowds (no-op when they are off)

    def _role_params(self) -> dict[int, Role]:
        cfg = self.w.cfg
        cam = cfg.fraud.camouflage
        out = {}
        for name, role in cfg.roles.items():
            r = role.model_copy()
            if R[name] in FRAUD_ROLES:
                # Camouflage: slower, more inbound, longer and more often answered calls.
                r.out_per_day = role.out_per_day * (1 - 0.6 * cam)
                r.in_per_day = role.in_per_day + (3.0 if name == "simbox" else 8.0) * cam
                r.duration_median_s = role.duration_median_s * (1 + 2.0 * cam)
                r.answered = min(0.95, role.answered + 0.15 * cam)
            out[R[name]] = r
        return out

    # ----------------------------------------------------------------- events
    def social(self, rng, day: int, a: int, b: int) -> tuple[Events, Events]:
        """Calls and SMS on the ties owned by lines [a, b). A Poisson count per tie is the same as one
        Poisson total for the chunk spread over the ties in proportion to their rates, which is much
        cheaper than a draw per tie (ties outnumber a day's calls)."""
        cfg = self.w.cfg.calling
        ties = self.ties
        t0, t1 = ties.ptr[a], ties.ptr[b]
        lo, hi = self.cum_rate[t0], self.cum_rate[t1]
        factor = cfg.weekend_factor if self._weekend(day) else 1.0
        prof = "weekend" if self._weekend(day) else "weekday"
        out = []
        for per_call in (1.0, cfg.sms_per_call):
            n = rng.poisson((hi - lo) * factor * per_call)
            # Sorted uniforms (normalised exponential gaps) make the search walk the table forwards.
            gaps = np.cumsum(rng.exponential(1.0, n + 1))
            u = lo + gaps[:n] / gaps[n] * (hi - lo)
            tie = np.searchsorted(self.cum_rate, u, side="right") - 1
            tie = np.clip(tie, t0, max(t0, t1 - 1))
            forward = rng.random(n) < ties.p_out[tie]
            owner, other = ties.owner[tie], ties.other[tie]
            caller = np.where(forward, owner, other)
            callee = np.where(forward, other, owner)
            t = self.prof.times(rng, prof, n)
            if per_call == 1.0:
                med = np.where(ties.kind[tie] == HOUSEHOLD, cfg.household_duration_median_s, cfg.duration_median_s)
                dur = np.minimum(rng.lognormal(np.log(med), cfg.duration_sigma),
                                 cfg.max_duration_s).astype(np.int32) + 1
                dur[rng.random(n) >= cfg.answered] = 0
            else:
                dur = np.full(n, -1, np.int32)
            ev = Events(caller, callee, t, dur, np.full(n, SOURCE_SOCIAL, np.int8), np.full(n, -1))
            out.append(self._drop_inactive(ev, day))
        return out[0], out[1]

    def background(self, rng, day: int, a: int, b: int) -> tuple[Events, Events]:
        """Calls from service numbers (banks, couriers' hotlines) and A2P SMS to ordinary lines."""
        cfg = self.w.cfg.calling
        ln = self.w.lines
        lines = np.arange(a, b)
        lines = lines[self.line_active[a:b] & (ln.type[a:b] != IOT) & (ln.role[a:b] != R["simbox"])
                      & (ln.role[a:b] != R["bulk_fraud"])]
        svc = self.w.service
        n_c = rng.poisson(cfg.service_inbound_per_line_day, len(lines))
        callee = np.repeat(lines, n_c)
        n = len(callee)
        caller = rng.integers(svc.start, svc.stop, n)
        dur = rng.lognormal(np.log(40), 0.8, n).astype(np.int32) + 1
        dur[rng.random(n) > 0.7] = 0
        calls = Events(caller, callee, self.prof.times(rng, "business", n), dur,
                       np.full(n, SOURCE_SERVICE, np.int8), np.full(n, -1))
        # Mules receive many bank notices: money passes through them.
        mult = np.where(ln.role[lines] == R["mule"], 5.0, 1.0)
        n_s = rng.poisson(cfg.a2p_sms_per_line_day * mult)
        rec = np.repeat(lines, n_s)
        ns = len(rec)
        sms = Events(rng.integers(self.w.a2p.start, self.w.a2p.stop, ns), rec, self.prof.times(rng, "day", ns),
                     np.full(ns, -1, np.int32), np.full(ns, SOURCE_SERVICE, np.int8), np.full(ns, -1))
        # Ordinary IoT modules (meters, trackers, POS) only report to their platform by SMS, round the clock.
        iot = a + np.flatnonzero(self.line_active[a:b] & (ln.type[a:b] == IOT) & (ln.role[a:b] == R["normal"]))
        sender = np.repeat(iot, rng.poisson(cfg.iot_sms_per_line_day, len(iot)))
        ni = len(sender)
        reports = Events(sender, rng.integers(self.w.a2p.start, self.w.a2p.stop, ni), rng.integers(0, DAY, ni),
                         np.full(ni, -1, np.int32), np.full(ni, SOURCE_SERVICE, np.int8), np.full(ni, -1))
        return self._drop_inactive(calls, day), self._drop_inactive(Events.concat([sms, reports]), day)

    def roles(self, rng, day: int, a: int, b: int) -> tuple[Events, Events]:
        ln = self.w.lines
        d0, d1 = day * DAY, (day + 1) * DAY
        idx = a + np.flatnonzero((ln.role[a:b] != R["normal"]) & self.line_active[a:b]
                                 & (ln.act_from[a:b] < d1) & (ln.act_to[a:b] > d0))
        calls, sms = [], []
        for role in np.unique(ln.role[idx]):
            lines = idx[ln.role[idx] == role]
            p = self.role_params[int(role)]
            # Line-level variation: some fraudsters work harder than others.
            vigour = np.exp(hash_uniform(self.w.seed, lines, 7) * 1.2 - 0.6)
            for direction, lam in ((0, p.out_per_day), (1, p.in_per_day)):
                cnt = rng.poisson(lam * vigour)
                line = np.repeat(lines, cnt)
                n = len(line)
                peer = self._peers(rng, p.targets, line, n, inbound=direction == 1)
                t = self.prof.times(rng, p.hours, n)
                dur = np.minimum(rng.lognormal(np.log(p.duration_median_s), p.duration_sigma, n),
                                 self.w.cfg.calling.max_duration_s).astype(np.int32) + 1
                dur[rng.random(n) >= p.answered] = 0
                a_, b_ = (line, peer) if direction == 0 else (peer, line)
                calls.append(Events(a_, b_, t, dur, np.full(n, SOURCE_ROLE, np.int8), line))
            cnt = rng.poisson(p.sms_out_per_day * vigour)
            line = np.repeat(lines, cnt)
            n = len(line)
            sms.append(Events(line, self._peers(rng, p.targets, line, n, inbound=False),
                              self.prof.times(rng, p.hours, n), np.full(n, -1, np.int32),
                              np.full(n, SOURCE_ROLE, np.int8), line))
        if not calls:
            empty = Events(*(np.zeros(0, dt) for dt in (np.int64, np.int64, np.int64, np.int32, np.int8, np.int64)))
            return empty, empty
        calls_e, sms_e = self.banks.retime(day, a, Events.concat(calls), Events.concat(sms))
        return self._in_window(calls_e, day), self._in_window(sms_e, day)

    def _peers(self, rng, targets: str, line: np.ndarray, n: int, inbound: bool) -> np.ndarray:
        w = self.w
        if targets == "ring":
            ring = w.lines.ring[line]
            lo, hi = self.ring_ptr[ring], self.ring_ptr[ring + 1]
            has = hi > lo
            pick = lo + (rng.random(n) * np.maximum(hi - lo, 1)).astype(np.int64)
            ring_peer = self.ring_members[np.minimum(pick, max(len(self.ring_members) - 1, 0))] \
                if len(self.ring_members) else np.zeros(n, np.int64)
            # Half of a mule's traffic is with its ring, half with strangers (victims, go-betweens).
            use_ring = has & (rng.random(n) < 0.5)
            return np.where(use_ring, ring_peer, self._strangers(rng, n))
        if targets == "foreign_mix":
            foreign = rng.integers(w.foreign.start, w.foreign.stop, n)
            return np.where(rng.random(n) < 0.3, foreign, self._strangers(rng, n))
        if inbound or targets == "local":
            return self._strangers(rng, n)
        cdf = self.cdf_es if targets == "elderly_students" else self.cdf_e
        own = self.local_targets[np.searchsorted(cdf, rng.random(n), side="right").clip(0, len(cdf) - 1)]
        return np.where(rng.random(n) < self.own_share, own, rng.integers(w.ext.start, w.ext.stop, n))

    def _strangers(self, rng, n: int) -> np.ndarray:
        own = self.local_targets[rng.integers(0, len(self.local_targets), n)]
        return np.where(rng.random(n) < self.own_share, own, rng.integers(self.w.ext.start, self.w.ext.stop, n))

    def _drop_inactive(self, ev: Events, day: int) -> Events:
        """No traffic for lines that are not active, not yet opened, or (resold) gone from their owner."""
        ln = self.w.lines
        abs_t = day * DAY + ev.t
        keep = np.ones(len(ev.t), bool)
        for node in (ev.a, ev.b):
            own = node < self.L
            o = np.where(own, node, 0)
            ok = self.line_active[o] & (ln.open_t[o] <= abs_t)
            # A resold line's old contacts stop once it has changed hands.
            ok &= ~((ln.role[o] == R["resold"]) & (abs_t >= ln.act_from[o]))
            # Fraud-only lines have no social life outside their camouflage ties.
            keep &= ~own | ok
        return _take(ev, keep)

    def _in_window(self, ev: Events, day: int) -> Events:
        ln = self.w.lines
        abs_t = day * DAY + ev.t
        r = ev.role_line
        keep = (abs_t >= ln.act_from[r]) & (abs_t < ln.act_to[r]) & (abs_t >= ln.open_t[r])
        ev = _take(ev, keep)
        # The other party must be reachable too (not a cancelled line).
        other = np.where(ev.a == ev.role_line, ev.b, ev.a)
        own = other < self.L
        ok = ~own | self.line_active[np.where(own, other, 0)]
        ok &= ev.a != ev.b
        return _take(ev, ok)

    def _weekend(self, day: int) -> bool:
        return (self.w.start + timedelta(days=day)).weekday() >= 5

    # ----------------------------------------------------------------- legs
    def legs(self, ev: Events, day: int) -> Legs:
        # Events in time order (two stable radix passes on 16-bit keys: exact and fast), then each
        # event's legs in place: the caller's `out` row, then the callee's `in` row.
        o = np.argsort((ev.t & 1).astype(np.uint8), kind="stable")
        o = o[np.argsort((ev.t[o] >> 1).astype(np.uint16), kind="stable")]
        a, b, t, dur = ev.a[o], ev.b[o], ev.t[o], ev.dur[o]
        own_a, own_b = a < self.L, b < self.L
        both = np.empty(2 * len(a), bool)
        both[0::2], both[1::2] = own_a, own_b
        pos = np.flatnonzero(both)
        e, is_in = pos >> 1, (pos & 1).astype(np.int8)
        msisdn = np.where(is_in == 1, b[e], a[e])
        peer = np.where(is_in == 1, a[e], b[e])
        t, dur = t[e], dur[e]
        cell, dev = self.locate(msisdn, day, t)
        return Legs(msisdn, peer, is_in, t, dur, cell, dev)

    def locate(self, line: np.ndarray, day: int, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Serving cell and handset of each own line at second T of DAY."""
        w = self.w
        ln, persons, cells = w.lines, w.persons, w.cells
        geo = w.cfg.geography
        p = ln.person[line]
        hour = t // 3600
        abs_t = day * DAY + t
        home, work = persons.home_cell[p], persons.work_cell[p]
        weekday = not self._weekend(day)
        at_work = weekday & (hour >= geo.work_hours[0]) & (hour < geo.work_hours[1]) & (work >= 0)
        cell = np.where(at_work, work, home)
        u = hash_uniform(w.seed, line, day, hour)
        wander = u < geo.wander_share
        cell = np.where(wander, np.where(u < geo.wander_share / 2, persons.place1[p], persons.place2[p]), cell)
        trip = hash_uniform(w.seed + 1, p, day) < geo.trip_per_day
        cell = np.where(trip & (hour >= 7), persons.trip_cell[p], cell)
        # IoT modules do not move.
        cell = np.where(ln.type[line] == IOT, home, cell)
        role = ln.role[line]
        # Couriers ride around the town all working day.
        cour = (role == R["courier"]) & at_work
        if cour.any():
            near = self._near(work[cour])
            cell[cour] = near[np.arange(int(cour.sum())), (u[cour] * near.shape[1]).astype(np.int64)]
        # Role locations: the SIM bank's flat, the fraud phones' area, the resold card's border town.
        fixed_role = (ln.fix_cell[line] >= 0) & (abs_t >= ln.act_from[line])
        if fixed_role.any():
            fc = ln.fix_cell[line[fixed_role]]
            roam = (role[fixed_role] == R["fraud_caller"]) | (role[fixed_role] == R["elderly_care"])
            near = self._near(fc)
            j = np.where(roam, (u[fixed_role] * 3).astype(np.int64), 0)
            cell[fixed_role] = near[np.arange(len(fc)), j]
            border = role[fixed_role] == R["resold"]
            cell[np.flatnonzero(fixed_role)[border]] = fc[border]
        cell = np.where(ln.type[line] == FIXED, -1, cell)
        dev = np.where(abs_t >= ln.dev_change[line], ln.dev2[line], ln.dev1[line])
        dev = np.where(dev < 0, ln.dev1[line], dev)
        dev = np.where(ln.type[line] == FIXED, -1, dev)
        return self.banks.locate(line, day, t, cell, dev)

    def _near(self, cells_idx: np.ndarray) -> np.ndarray:
        uniq, inv = np.unique(cells_idx, return_inverse=True)
        local = self.w.cells.county[uniq] >= 0
        out = np.repeat(uniq[:, None], 12, axis=1)
        if local.any():
            out[local] = self.w.cells.nearest(uniq[local], 12)
        return out[inv]


def _take(ev: Events, keep: np.ndarray) -> Events:
    return Events(*(getattr(ev, f)[keep] for f in Events.__dataclass_fields__))


def generate_chunk(traffic: Traffic, day: int, a: int, b: int) -> tuple[Events, Events]:
    """All calls and messages owned by lines [a, b) on DAY (deterministic for seed, day and chunk)."""
    rng = stream(traffic.w.seed, "traffic", day, a)
    sc, ss = traffic.social(rng, day, a, b)
    bc, bs = traffic.background(rng, day, a, b)
    rc, rs = traffic.roles(rng, day, a, b)
    return Events.concat([sc, bc, rc, *traffic.banks.calls(day, a, b)]), Events.concat([ss, bs, rs])
