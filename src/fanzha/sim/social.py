"""The social graph: who calls whom, how often, and who starts the call.

Ties are undirected relationships owned by one of our lines (the other end may be another of our
lines or another carrier's number). Each has a call rate (calls/day, log-normal: a few strong ties
carry most calls, so contacts repeat) and the share of calls the owner starts (so most strong ties are
reciprocal, weak ones often one-way). Candidates are grouped into geographic communities (villages,
workplaces, campus classes); a tie is local to the owner's community, county, or (popularity-weighted,
which gives the heavy tail of in-degrees) anywhere."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fanzha.sim import tactics_fraud
from fanzha.sim.config import SimConfig
from fanzha.sim.rand import choice_cdf, stream
from fanzha.sim.people import OCC
from fanzha.sim.world import FIXED, MOBILE, R, World

HOUSEHOLD, COMMUNITY, COUNTY, WIDE, CAMOUFLAGE = range(5)
# Relative call rates (calls/day before scaling) and median durations (s) by kind of tie.
BASE_RATE = np.array([1.0, 0.16, 0.08, 0.05, 0.12])


@dataclass
class Ties:
    owner: np.ndarray  # own line, sorted
    other: np.ndarray  # node
    rate: np.ndarray  # calls/day, both directions
    p_out: np.ndarray  # share started by the owner
    kind: np.ndarray
    ptr: np.ndarray  # ties of line i: ptr[i]:ptr[i+1]

    def __len__(self) -> int:
        return len(self.owner)


def build_ties(world: World) -> Ties:
    cfg: SimConfig = world.cfg
    call = cfg.calling
    rng = stream(world.seed, "ties")
    ln, persons = world.lines, world.persons
    L = world.n_lines
    social = (ln.status == 0) & np.isin(ln.role, [R["normal"], R["courier"], R["sales"], R["mule"], R["resold"],
                                                  *(R[r] for r in tactics_fraud.SOCIAL_ROLES)])
    fraud_phone = np.isin(ln.role, [R["fraud_caller"], R["elderly_care"],
                                    *(R[r] for r in tactics_fraud.FRAUD_PHONE_ROLES)]) & (ln.status == 0)
    # Fraud lines that keep a social life (tactics): ties like anyone's, not camouflage ties.
    keeps = tactics_fraud.social_life(ln) & (ln.status == 0)
    social |= keeps
    fraud_phone &= ~keeps
    social &= ln.type != 2

    # Candidates: social own lines and all other-carrier mobiles, grouped into communities by home cell.
    ext = np.arange(world.ext.start, world.ext.stop)
    cand = np.concatenate([np.flatnonzero(social & (ln.type == MOBILE)), ext])
    order = np.argsort(world.node_cell[cand], kind="stable")
    cand = cand[order]
    n = len(cand)
    lo, hi = call.community_size
    sizes = rng.integers(lo, hi + 1, n // lo + 2)
    comm_of_pos = np.repeat(np.arange(len(sizes)), sizes)[:n]
    comm_start = np.r_[0, np.cumsum(sizes)][:-1]
    comm_size = np.minimum(sizes, np.maximum(n - comm_start, 0))
    pos_of_node = np.full(len(world.node_msisdn), -1, dtype=np.int64)
    pos_of_node[cand] = np.arange(n)
    cand_county = world.cells.county[world.node_cell[cand]]
    county_lo = np.searchsorted(cand_county, np.arange(cand_county.max() + 2), side="left")
    popularity = 1.0 + rng.pareto(call.popularity_alpha, n)

    # How many ties each own line starts: heavy-tailed for people, a few for home fixed lines.
    age = persons.age[ln.person]
    k = np.where(ln.type == MOBILE, np.round(rng.lognormal(np.log(call.ties_median), call.ties_sigma, L)),
                 rng.integers(1, 4, L))
    hub = rng.random(L) < call.hub_share
    k = np.where(hub, k * rng.uniform(*call.hub_factor, L), k)
    k = np.where(persons.occ[ln.person] == OCC["student"], k * 1.3, k)
    k = np.where(age >= 65, k * 0.7, k).astype(np.int64)
    k = np.where(social, np.maximum(k, 1), 0)
    # Camouflage: fraud phones keep a few everyday contacts.
    k = np.where(fraud_phone, rng.poisson(cfg.fraud.camouflage * 4, L), k)
    owner = np.repeat(np.arange(L), k)
    m = len(owner)
    mix = cfg.calling.tie_mix
    kind = np.array([COMMUNITY, COUNTY, WIDE])[choice_cdf(rng, np.array([mix["community"], mix["county"], mix["wide"]]), m)]
    home_node = owner.copy()
    pos = pos_of_node[home_node]
    # Lines outside the candidate set (fixed lines, fraud phones) use the position of a nearby mobile.
    missing = pos < 0
    if missing.any():
        cell_sorted = world.node_cell[cand]
        pos[missing] = np.minimum(np.searchsorted(cell_sorted, world.node_cell[home_node[missing]]), n - 1)
    comm = comm_of_pos[pos]
    u = rng.random(m)
    pick = comm_start[comm] + (u * comm_size[comm]).astype(np.int64)
    c = cand_county[pos]
    cty = county_lo[c] + (rng.random(m) * (county_lo[c + 1] - county_lo[c])).astype(np.int64)
    pick = np.where(kind == COUNTY, cty, pick)
    wide = kind == WIDE
    pick[wide] = choice_cdf(rng, popularity, int(wide.sum()))
    other = cand[pick]
    kind = np.where(fraud_phone[owner], CAMOUFLAGE, kind)

    # Households: every pair of own lines of persons in one household (and a home fixed line).
    hh_lines = np.flatnonzero(social & np.isin(ln.type, [MOBILE, FIXED]))
    hh = persons.household[ln.person[hh_lines]]
    o = np.argsort(hh, kind="stable")
    hh_lines, hh = hh_lines[o], hh[o]
    a_list, b_list = [], []
    for step in (1, 2, 3):
        same = hh[step:] == hh[:-step]
        a_list.append(hh_lines[:-step][same])
        b_list.append(hh_lines[step:][same])
    ha, hb = np.concatenate(a_list), np.concatenate(b_list)
    # Relatives on other carriers: up to two family ties per primary line into its own community.
    prim = np.flatnonzero(social & ln.primary & (ln.type == MOBILE))
    fam_owner = np.repeat(prim, rng.integers(0, 3, len(prim)))
    fpos = pos_of_node[fam_owner]
    fcomm = comm_of_pos[np.maximum(fpos, 0)]
    fam_other = cand[comm_start[fcomm] + (rng.random(len(fam_owner)) * comm_size[fcomm]).astype(np.int64)]

    owner = np.concatenate([owner, ha, fam_owner])
    other = np.concatenate([other, hb, fam_other])
    kind = np.concatenate([kind, np.full(len(ha), HOUSEHOLD), np.full(len(fam_owner), HOUSEHOLD)])
    keep = owner != other
    owner, other, kind = owner[keep], other[keep], kind[keep]
    # One tie per pair of nodes.
    a, b = np.minimum(owner, other), np.maximum(owner, other)
    first = _first_of_each(a.astype(np.int64) * len(world.node_msisdn) + b, len(world.node_msisdn) ** 2)
    owner, other, kind = owner[first], other[first], kind[first]

    rate = BASE_RATE[kind] * rng.lognormal(0.0, 0.9, len(owner))
    ties_of = np.bincount(owner, minlength=L)
    rate *= (np.maximum(ties_of[owner], 1) / call.ties_median) ** call.rate_vs_ties
    # Some people are on the phone all day, others hardly ever (both ends of a tie count).
    activity = rng.lognormal(0.0, call.activity_sigma, len(world.node_msisdn))
    rate *= np.sqrt(activity[owner] * activity[other])
    # Scale so that an ordinary line's ties make the configured number of calls a day.
    rate *= call.social_calls_per_line_day * max(1, int(social.sum())) / rate.sum()
    p_out = rng.beta(2.0, 2.0, len(owner))
    o = _stable_order(owner, L)
    owner, other, rate, p_out, kind = owner[o], other[o], rate[o], p_out[o], kind[o]
    ptr = np.searchsorted(owner, np.arange(L + 1))
    return Ties(owner.astype(np.int32), other.astype(np.int32), rate.astype(np.float32),
                p_out.astype(np.float32), kind.astype(np.int8), ptr)


def _stable_order(key: np.ndarray, bound: int) -> np.ndarray:
    """np.argsort(key, kind="stable") for integer keys 0 <= KEY < BOUND, about twice as fast: the
    (key, index) pairs packed in one integer are distinct, so a plain (SIMD) sort keeps ties in order."""
    m = len(key)
    if m == 0 or bound * m >= 2**63:
        return np.argsort(key, kind="stable")
    return np.sort(key.astype(np.int64) * m + np.arange(m, dtype=np.int64)) % m


def _first_of_each(key: np.ndarray, bound: int) -> np.ndarray:
    """Index of the first occurrence of each distinct KEY (0 <= KEY < BOUND), in ascending key order:
    np.unique(key, return_index=True)[1], in a stable order of the keys."""
    if len(key) == 0:
        return np.zeros(0, np.int64)
    o = _stable_order(key, bound)
    k = key[o]
    return o[np.r_[True, k[1:] != k[:-1]]]
