"""SIM banks that hide (the `simbox` family of fanzha.sim.tactics) and the crowds they hide among.

World side, called by `fanzha.sim.world.build_world`: every bank tactic makes whole banks through the
world's own `add_bank` (owners, SIM rotation, shops and the card sellers' own phones as for any SIM
bank), handing it a kit that changes only what the tactic changes: the devices, the sites, and the
facts kept with the ring (a route, a rotation clock, shifts). `add_crowds` turns a share of ordinary
lines into people who spend the same hours in one dense cell (a campus, a railway station, a hospital).

Traffic side, `BankTraffic` (held by `fanzha.sim.traffic.Traffic`): those facts as per-line tables,
asked by `locate` (where the moving box is this hour, which IMEI the gateway has today, whether a
crowd member is at the station), by `roles` (shifts) and by the chunk generator (inbound calls from
members and accomplices). It all draws from its own random streams and does nothing when the tactics
are off, so the default province stays byte for byte what it was."""

from __future__ import annotations

import numpy as np

from fanzha.sim.config import SimConfig
from fanzha.sim.devices import DeviceRegistry
from fanzha.sim.geography import CAMPUS, URBAN, Cells
from fanzha.sim.people import OCC, Persons
from fanzha.sim.rand import hash_uniform, int_range, stream
from fanzha.sim.tactics import by_family
from fanzha.sim.world import DAY, MOBILE, R, Lines

BANKS = tuple(t.name for t in by_family("simbox"))
# Crowds: (weekday hours, weekend hours, chance that a member is there on a given day). Students sit
# in lectures, commuters pass the station at the rush hours, outpatients queue in the mornings.
CROWDS = {
    "campus": ([(8, 12), (14, 17)], [], 0.9),
    "station": ([(7, 9), (17, 19)], [(9, 11), (15, 17)], 0.8),
    "hospital": ([(8, 12)], [(8, 11)], 0.65),
}


# ----------------------------------------------------------------------------------------- world side
class _Kit:
    """How one tactic builds a bank: `build` returns (device of each SIM, site of each SIM, ring facts)."""

    def __init__(self, *, name: str, cfg: SimConfig, seed: int, devices: DeviceRegistry, cells: Cells, span: int):
        self.name, self.t, self.devices, self.cells, self.span = name, cfg.tactics, devices, cells, span
        self.rng = stream(seed, f"tactic-{name}")

    def gateways(self, size: int, n: int) -> np.ndarray:
        return self.devices.new("gateway", n)[np.arange(size) % n]

    def build(self, *, size: int, gateways: int, cell: int, start_t: int) -> tuple[np.ndarray, object, dict]:
        return self.gateways(size, gateways), cell, {}


class _Moving(_Kit):
    """The box in a car along a route of nearby cells, or moved between rented rooms: every few hours
    or daily (bank_moving_hours) it sits in the next of a few nearby cells (bank_moving_stops)."""

    def build(self, *, size, gateways, cell, start_t):
        rng = self.rng
        near = self.cells.nearest(np.array([cell]), min(16, len(self.cells._local)))[0][1:]
        k = int(min(int_range(rng, self.t.bank_moving_stops), len(near) + 1))
        stops = np.r_[cell, rng.choice(near, k - 1, replace=False)]
        period = float(rng.uniform(*self.t.bank_moving_hours)) * 3600
        n_seg = int(self.span // period) + 2
        # A walk over the stops that never stays put from one stretch to the next.
        walk = np.cumsum(np.r_[0, rng.integers(1, max(k, 2), n_seg - 1)]) % k
        facts = {"period": period, "phase": float(rng.uniform(0, period)), "route": stops[walk].tolist()}
        return self.gateways(size, gateways), cell, facts


class _Handsets(_Kit):
    """One cheap handset per SIM (a 手机墙), bought in a batch: one or two entry models."""

    def build(self, *, size, gateways, cell, start_t):
        dev = self.devices.new("cheap", size)
        models = int(min(size, self.rng.integers(1, 3)))
        if size > models:
            self.devices.same_model(dev[models:], dev[:models][self.rng.integers(0, models, size - models)])
        return dev, cell, {}


class _ImeiRotation(_Kit):
    """Every bank_imei_rotation_days the gateways' IMEIs are rewritten: a new serial, the same TAC."""

    def build(self, *, size, gateways, cell, start_t):
        period = float(self.rng.uniform(*self.t.bank_imei_rotation_days)) * DAY
        first = start_t + float(self.rng.uniform(0.2, 1.0)) * period
        epochs = max(1, int((self.span - first) // period) + 2)
        seq = self.devices.new("gateway", gateways * epochs).reshape(gateways, epochs)
        if epochs > 1:
            self.devices.same_model(seq[:, 1:].ravel(), np.repeat(seq[:, 0], epochs - 1))
        facts = {"rotate_first": first, "rotate_period": period, "rotate_epochs": epochs}
        return seq[np.arange(size) % gateways, 0], cell, facts


class _Inbound(_Kit):
    """Members call each other and a few accomplices call them, so that a bank_inbound_share of the
    members' calls is inbound; the accomplices' numbers are drawn with the traffic (BankTraffic)."""

    def build(self, *, size, gateways, cell, start_t):
        t, rng = self.t, self.rng
        facts = {"inbound_share": float(rng.uniform(*t.bank_inbound_share)),
                 "inbound_member_share": float(rng.uniform(*t.bank_inbound_member_share)),
                 "accomplices": int(int_range(rng, t.bank_inbound_accomplices))}
        return self.gateways(size, gateways), cell, facts


class _Shifts(_Kit):
    """The SIMs in bank_shifts_sets sets that take turns through the working day (bank_shifts_hours)."""

    def build(self, *, size, gateways, cell, start_t):
        k = int(int_range(self.rng, self.t.bank_shifts_sets))
        h0, h1 = self.t.bank_shifts_hours
        bounds = np.round(np.linspace(h0, h1, k + 1)).astype(int)
        return self.gateways(size, gateways), cell, {"shifts": bounds.tolist()}


class _TwoSites(_Kit):
    """Half the SIMs (and their own gateways) in a second flat bank_two_sites_km away."""

    def build(self, *, size, gateways, cell, start_t):
        lo, hi = self.t.bank_two_sites_km
        near = self.cells.nearest(np.array([cell]), min(60, len(self.cells._local)))[0][1:]
        d = self.cells.distance_km(np.full(len(near), cell), near)
        ok = near[(d >= lo) & (d <= hi)]
        other = int(ok[self.rng.integers(0, len(ok))] if len(ok) else near[np.argmin(np.abs(d - (lo + hi) / 2))])
        n = 2 * max(1, gateways // 2)
        g = self.devices.new("gateway", n)
        i = np.arange(size)
        site = i % 2
        return g[site + 2 * ((i // 2) % (n // 2))], np.where(site == 0, cell, other), {"cells": [cell, other]}


KITS = {"bank_moving": _Moving, "bank_handsets": _Handsets, "bank_imei_rotation": _ImeiRotation,
        "bank_inbound": _Inbound, "bank_shifts": _Shifts, "bank_two_sites": _TwoSites}


def add_bank_tactics(*, cfg: SimConfig, lines: int, seed: int, span: int, cells: Cells, devices: DeviceRegistry,
                     add_bank, new_pool) -> None:
    """Banks of every switched-on tactic: share × LINES member lines each, banks sized as fraud.simbox_size
    (the last one takes the rest when fewer than a bank's minimum would be left)."""
    for name in BANKS:
        target = int(round(getattr(cfg.tactics, name) * lines))
        if target <= 0:
            continue
        kit = KITS[name](name=name, cfg=cfg, seed=seed, devices=devices, cells=cells, span=span)
        pool = new_pool(target + 1)
        made = 0
        while made < target:
            left = target - made
            size = int(min(int_range(kit.rng, cfg.fraud.simbox_size), left))
            if left - size < cfg.fraud.simbox_size[0]:
                size = left  # no stub bank of a few SIMs at the end: the last one takes them
            add_bank(pool, size, name, kit)
            made += size


def add_crowds(*, cfg: SimConfig, seed: int, persons: Persons, ln: Lines, cells: Cells) -> list[dict]:
    """A `crowd` share of ordinary mobile lines, in sites of crowd_site_lines lines (label normal,
    scenario crowd): people of the site's county (students first on a campus) who spend its hours there."""
    target = int(round(cfg.tactics.crowd * len(ln)))
    if target <= 0:
        return []
    rng = stream(seed, "tactic-crowd")
    free = (ln.role == R["normal"]) & (ln.scenario == "") & (ln.status == 0) & (ln.type == MOBILE)
    county = persons.county[ln.person]
    student = persons.occ[ln.person] == OCC["student"]
    campus, urban = np.flatnonzero(cells.kind == CAMPUS), np.flatnonzero(cells.kind == URBAN)
    kinds = list(CROWDS)
    first = int(rng.integers(0, len(kinds)))
    sites: list[dict] = []
    made = 0
    while made < target and free.any():
        kind = kinds[(first + len(sites)) % len(kinds)]
        size = int(min(int_range(rng, cfg.tactics.crowd_site_lines), target - made))
        where = campus if kind == "campus" and len(campus) else urban
        cell = int(where[rng.integers(0, len(where))])
        # Neighbours first (and students on a campus); a random order within each rank.
        rank = (county == cells.county[cell]).astype(int) + 2 * (student & (kind == "campus"))
        cand = np.flatnonzero(free)
        cand = cand[np.lexsort((rng.random(len(cand)), -rank[cand]))][:size]
        ln.scenario[cand] = "crowd"
        free[cand] = False
        weekday, weekend, presence = CROWDS[kind]
        sites.append({"kind": kind, "cell": cell, "lines": cand, "weekday": weekday, "weekend": weekend,
                      "presence": presence})
        made += len(cand)
    return sites


# --------------------------------------------------------------------------------------- traffic side
class BankTraffic:
    """The tactics' facts as per-line tables for the traffic generator; every method is a no-op
    (and draws nothing) for tactics that are off."""

    def __init__(self, traffic):
        w = traffic.w
        self.traffic, self.w = traffic, w
        self.move = self.rotate = self.shift_lo = self.inbound = self.crowd = None
        if not any(getattr(w.cfg.tactics, n) > 0 for n in BANKS) and not w.crowds:
            return
        ln, L = w.lines, w.n_lines
        members = np.flatnonzero(np.isin(ln.scenario, BANKS) & (ln.role == R["simbox"]))
        o = np.argsort(ln.ring[members], kind="stable")
        members = members[o]
        ring_ptr = np.searchsorted(ln.ring[members], np.arange(len(w.rings) + 1))
        by_kind: dict[str, list[tuple[dict, np.ndarray]]] = {n: [] for n in BANKS}
        for r, ring in enumerate(w.rings):
            if ring["kind"] in by_kind:
                by_kind[ring["kind"]].append((ring, members[ring_ptr[r]:ring_ptr[r + 1]]))
        self._moving(L, by_kind["bank_moving"])
        self._rotation(L, by_kind["bank_imei_rotation"])
        self._shifts(L, by_kind["bank_shifts"])
        self._inbound(L, by_kind["bank_inbound"])
        self._crowds(L, w.crowds)

    # -- plans
    def _moving(self, L: int, banks):
        if not banks:
            return
        ring_of = np.full(L, -1, np.int64)
        longest = max(len(b["route"]) for b, _ in banks)
        route = np.array([b["route"] + b["route"][-1:] * (longest - len(b["route"])) for b, _ in banks])
        for i, (_, m) in enumerate(banks):
            ring_of[m] = i
        self.move = (ring_of, route, np.array([b["period"] for b, _ in banks]), np.array([b["phase"] for b, _ in banks]))

    def _rotation(self, L: int, banks):
        if not banks:
            return
        first, period, epochs = np.zeros(L), np.ones(L), np.zeros(L, np.int64)
        for b, m in banks:
            first[m], period[m], epochs[m] = b["rotate_first"], b["rotate_period"], b["rotate_epochs"]
        self.rotate = (first, period, epochs)

    def _shifts(self, L: int, banks):
        if not banks:
            return
        self.shift_lo, self.shift_hi = np.full(L, -1, np.int64), np.full(L, 24, np.int64)
        for b, m in banks:
            bounds = b["shifts"]
            k = len(bounds) - 1
            s = np.arange(len(m)) % k  # the sets are equal in size
            self.shift_lo[m], self.shift_hi[m] = np.array(bounds[:-1])[s], np.array(bounds[1:])[s]

    def _inbound(self, L: int, banks):
        if not banks:
            return
        w, ln = self.w, self.w.lines
        rng = stream(w.seed, "bank-inbound-plan")
        out = self.traffic.role_params[R["simbox"]].out_per_day
        from_members, from_accomplices = np.zeros(L), np.zeros(L)
        acc_nodes, acc_ptr = [], np.zeros(len(w.rings) + 1, np.int64)
        count = np.zeros(len(w.rings), np.int64)
        for b, m in banks:
            # Inbound I of a member making o calls: I / (I + o + x) = share with x = f·I its own calls
            # to other members (each member call is one member's out and another's in).
            s, f = b["inbound_share"], b["inbound_member_share"]
            o = out * np.exp(hash_uniform(w.seed, m, 7) * 1.2 - 0.6)  # the vigour of Traffic.roles
            inbound = s * o / max(1e-6, 1 - s - s * f)
            from_members[m], from_accomplices[m] = f * inbound, (1 - f) * inbound
            r = int(ln.ring[m[0]]) if len(m) else -1
            if r >= 0:
                acc_nodes.append(rng.integers(w.ext.start, w.ext.stop, b["accomplices"]))
                count[r] = b["accomplices"]
        acc_ptr[1:] = np.cumsum(count)
        ring_sorted = np.flatnonzero(from_members + from_accomplices > 0)
        ring_sorted = ring_sorted[np.argsort(ln.ring[ring_sorted], kind="stable")]
        self.inbound = (from_members, from_accomplices, ring_sorted,
                        np.concatenate(acc_nodes) if acc_nodes else np.zeros(0, np.int64), acc_ptr)

    def _crowds(self, L: int, sites: list[dict]):
        if not sites:
            return
        site_of = np.full(L, -1, np.int64)
        hours = np.zeros((len(sites), 2, 24), bool)  # [site, weekend?, hour]
        for i, s in enumerate(sites):
            site_of[s["lines"]] = i
            for j, spans in enumerate((s["weekday"], s["weekend"])):
                for h0, h1 in spans:
                    hours[i, j, h0:h1] = True
        self.crowd = (site_of, np.array([s["cell"] for s in sites]), hours, np.array([s["presence"] for s in sites]))

    # -- hooks
    def locate(self, line: np.ndarray, day: int, t: np.ndarray, cell: np.ndarray, dev: np.ndarray):
        """Cells and devices from Traffic.locate, changed where a tactic says otherwise."""
        if self.move is None and self.rotate is None and self.crowd is None:
            return cell, dev
        ln = self.w.lines
        abs_t = day * DAY + t
        if self.move is not None:
            ring_of, route, period, phase = self.move
            b = ring_of[line]
            m = (b >= 0) & (abs_t >= ln.act_from[line])
            if m.any():
                bm = b[m]
                seg = ((abs_t[m] + phase[bm]) // period[bm]).astype(np.int64).clip(0, route.shape[1] - 1)
                cell[m] = route[bm, seg]
        if self.rotate is not None:
            first, period, epochs = self.rotate
            m = epochs[line] > 0
            if m.any():
                lm = line[m]
                k = np.where(abs_t[m] < first[lm], 0, (abs_t[m] - first[lm]) // period[lm] + 1)
                dev[m] = ln.dev1[lm] + np.minimum(k.astype(np.int64), epochs[lm] - 1)
        if self.crowd is not None:
            site_of, site_cell, hours, presence = self.crowd
            s = site_of[line]
            m = s >= 0
            if m.any():
                weekend = int(self.traffic._weekend(day))
                sm, lm = s[m], line[m]
                there = hours[sm, weekend, t[m] // 3600] & (hash_uniform(self.w.seed + 5, lm, day) < presence[sm])
                # Not while away on a day trip (the same draw as Traffic.locate's).
                there &= hash_uniform(self.w.seed + 1, self.w.lines.person[lm], day) >= self.w.cfg.geography.trip_per_day
                cell[np.flatnonzero(m)[there]] = site_cell[sm[there]]
        return cell, dev

    def retime(self, day: int, a: int, calls, sms):
        """Shifts: a shift member's own traffic falls in its shift, and calls to it outside the shift
        find the SIM switched off (no record)."""
        if self.shift_lo is None:
            return calls, sms
        from fanzha.sim.traffic import _take

        rng = stream(self.w.seed, "bank-shifts", day, a)
        L = self.w.n_lines
        out = []
        for ev in (calls, sms):
            lo = self.shift_lo[ev.role_line]
            m = lo >= 0
            if m.any():
                span = (self.shift_hi[ev.role_line[m]] - lo[m]) * 3600
                ev.t[m] = lo[m] * 3600 + (rng.random(int(m.sum())) * span).astype(np.int64)
            hour = ev.t // 3600
            keep = np.ones(len(ev.t), bool)
            for node in (ev.a, ev.b):
                n = np.where(node < L, node, 0)
                lo_n, hi_n = self.shift_lo[n], self.shift_hi[n]
                keep &= ~((node < L) & (lo_n >= 0) & ((hour < lo_n) | (hour >= hi_n)))
            out.append(_take(ev, keep))
        return out[0], out[1]

    def calls(self, day: int, a: int, b: int) -> list:
        """Inbound camouflage of the lines [a, b): calls from the bank's other members and its accomplices."""
        if self.inbound is None:
            return []
        from fanzha.sim.traffic import SOURCE_ROLE, Events

        w, ln, tr = self.w, self.w.lines, self.traffic
        from_members, from_accomplices, ring_sorted, acc_nodes, acc_ptr = self.inbound
        d0, d1 = day * DAY, (day + 1) * DAY

        def today(idx):
            return tr.line_active[idx] & (ln.act_from[idx] < d1) & (ln.act_to[idx] > d0)

        sel = a + np.flatnonzero((from_members[a:b] + from_accomplices[a:b] > 0) & today(np.arange(a, b)))
        if not len(sel):
            return []
        rng = stream(w.seed, "bank-inbound", day, a)
        # Member calls: the caller is one of the ring's other SIMs working today.
        working = ring_sorted[today(ring_sorted)]
        ptr = np.searchsorted(ln.ring[working], np.arange(len(w.rings) + 1))
        callee = np.repeat(sel, rng.poisson(from_members[sel]))
        r = ln.ring[callee]
        lo, hi = ptr[r], ptr[r + 1]
        pick = working[np.minimum(lo + (rng.random(len(callee)) * (hi - lo)).astype(np.int64), max(len(working) - 1, 0))] \
            if len(working) else callee
        t_m = tr.prof.times(rng, "fraud", len(callee))
        at = d0 + t_m
        ok = (hi > lo) & (pick != callee) & (at >= ln.act_from[pick]) & (at < ln.act_to[pick]) & (at >= ln.open_t[pick])
        # Accomplices: a few outside numbers per bank.
        callee_a = np.repeat(sel, rng.poisson(from_accomplices[sel]))
        ra = ln.ring[callee_a]
        n_acc = acc_ptr[ra + 1] - acc_ptr[ra]
        caller_a = acc_nodes[np.minimum(acc_ptr[ra] + (rng.random(len(callee_a)) * n_acc).astype(np.int64),
                                        max(len(acc_nodes) - 1, 0))] if len(acc_nodes) else callee_a
        t_a = tr.prof.times(rng, "fraud", len(callee_a))
        ok_a = n_acc > 0
        caller = np.r_[pick[ok], caller_a[ok_a]]
        callee = np.r_[callee[ok], callee_a[ok_a]]
        n = len(callee)
        # Talk between people who know each other: answered, a minute or so.
        cfg = w.cfg.calling
        dur = np.minimum(rng.lognormal(np.log(55), 0.9, n), cfg.max_duration_s).astype(np.int32) + 1
        dur[rng.random(n) >= 0.85] = 0
        ev = Events(caller.astype(np.int64), callee.astype(np.int64), np.r_[t_m[ok], t_a[ok_a]].astype(np.int64), dur,
                    np.full(n, SOURCE_ROLE, np.int8), callee.astype(np.int64))
        return [tr._in_window(ev, day)]
