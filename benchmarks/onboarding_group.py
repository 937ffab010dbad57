"""How often the counter gate escalates ORDINARY customers (no gang among them), measured on a day's counter
traffic at shops of every size the simulator has (fanzha.sim.counter).

    python benchmarks/onboarding_group.py [--days 3] [--seed 11] [--peak-load 0.7] [--url URL]

Every customer goes through the real gate on a fresh database (default: a temporary SQLite file): the check
(``flows.submit_check`` at the time the clerk starts), a mistyped ID first where the customer has a typo (a
refused check), and at the end of service the completion as the signed notice stores it (status completed,
completed_at), or nothing for one who walks away. Prints per shop size the share of customers escalated by the
group rule and by any rule, and the verdict against the target (≤ 5 % of ordinary customers escalated).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))

TARGET = 0.05


@dataclass
class Rate:
    customers: int = 0
    escalated: int = 0  # by any rule
    group: int = 0  # by the group rule
    codes: dict[str, int] = field(default_factory=dict)

    def add(self, other: Rate) -> None:
        self.customers += other.customers
        self.escalated += other.escalated
        self.group += other.group
        for k, v in other.codes.items():
            self.codes[k] = self.codes.get(k, 0) + v

    @property
    def share(self) -> float:
        return self.escalated / self.customers if self.customers else 0.0

    @property
    def group_share(self) -> float:
        return self.group / self.customers if self.customers else 0.0


def _mistyped(id_no: str) -> str:
    return id_no[:-1] + ("0" if id_no[-1] != "0" else "1")  # a wrong check character: refused as invalid


def replay_shop(engine, gate, *, shop_id: str, clerks: int, day: date, seed: int, peak_load: float = 0.7,
                first_seq: int = 0) -> Rate:  # fmt: skip
    """One shop's ordinary day through the gate; the rate of ordinary customers escalated."""
    from sqlalchemy import update

    from fanzha.casework.auth.principal import Principal
    from fanzha.casework.onboarding import flows
    from fanzha.casework.onboarding.models import OnboardingCheck
    from fanzha.casework.onboarding.schemas import CheckRequest
    from fanzha.db import session_scope
    from fanzha.sim.counter import ordinary_day

    people = ordinary_day(seed=seed, day=day, clerks=clerks, peak_load=peak_load, first_seq=first_seq)
    staff = [Principal(user_id=None, username=f"{shop_id}-c{k}", roles=frozenset({"clerk"}), shops=frozenset({shop_id}))
             for k in range(clerks)]  # fmt: skip
    # Events in time order: a check when service starts, the completion when it ends.
    events = sorted([(c.start, 1, i) for i, c in enumerate(people)] +
                    [(c.end, 0, i) for i, c in enumerate(people) if c.completes])  # fmt: skip
    check_of: dict[int, int] = {}
    rate = Rate()
    for at, is_check, i in events:
        c = people[i]
        with session_scope(engine) as db:
            if not is_check:
                db.execute(update(OnboardingCheck).where(OnboardingCheck.id == check_of[i])
                           .values(status="completed", completed_at=at))  # fmt: skip
                continue
            who = staff[c.clerk]
            body = dict(name=c.name, lines=[{"line_type": "mobile", "count": c.lines}], purpose="本人日常使用",
                        shop_id=shop_id)  # fmt: skip
            if c.typo:
                flows.submit_check(db, gate=gate, actor=who, request=CheckRequest(id_no=_mistyped(c.id_no), **body),
                                   now=at - timedelta(minutes=1))  # fmt: skip
            r = flows.submit_check(db, gate=gate, actor=who, request=CheckRequest(id_no=c.id_no, **body), now=at)
        rate.customers += 1
        codes = {f.code for f in r.reasons if f.level == "escalate"}
        for code in codes:
            rate.codes[code] = rate.codes.get(code, 0) + 1
        if r.decision == "escalate":
            rate.escalated += 1
            rate.group += "group_opening" in codes
        # Escalated customers wait for L2 and are approved: their completion counts as any other's.
        check_of[i] = r.check_id
    return rate


def measure(engine, gate, *, days: int, seed: int, peak_load: float = 0.7, sizes=None) -> dict[int, Rate]:
    """Shops of each clerk count the simulator knows (its [shops] clerks_per_shop range), ``days`` days each."""
    from fanzha.casework.registry.models import Shop
    from fanzha.db import session_scope
    from fanzha.sim.config import SimConfig

    low, high = SimConfig.load().shops.clerks_per_shop
    sizes = sizes or range(low, high + 1)
    with session_scope(engine) as db:
        db.add_all([Shop(shop_id=f"S{n:02d}", name=f"{n}人营业厅") for n in sizes])
    out: dict[int, Rate] = {}
    start = date(2026, 3, 2)  # Monday
    for n in sizes:
        out[n] = Rate()
        for d in range(days):
            out[n].add(replay_shop(engine, gate, shop_id=f"S{n:02d}", clerks=n, day=start + timedelta(days=d),
                                   seed=seed, peak_load=peak_load, first_seq=100 * n + d))  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--peak-load", type=float, default=0.7, help="share of the clerks busy at the peak hour")
    ap.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    args = ap.parse_args()

    from fanzha.casework.audit.service import chain_key
    from fanzha.casework.onboarding.crosscarrier import SimulatedCrossCarrier
    from fanzha.casework.onboarding.rules import default_rules
    from fanzha.casework.onboarding.service import Gate
    from fanzha.config import get_settings
    from fanzha.db import engine_for
    from fanzha.migrate import upgrade
    from fanzha.privacy import Protector

    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'group.db'}"
        upgrade(url)
        settings = get_settings()
        gate = Gate(rules=default_rules(), cross_carrier=SimulatedCrossCarrier(), protector=Protector.from_settings(settings),
                    key=chain_key(settings))  # fmt: skip
        rates = measure(engine_for(url), gate, days=args.days, seed=args.seed, peak_load=args.peak_load)
    rules = gate.rules
    print(f"group rule: >= {rules.group_people} people (the customer and {rules.group_people - 1} others who completed "
          f"an opening) within {rules.group_minutes:g} min; peak load {args.peak_load:.0%}, {args.days} days, seed {args.seed}")
    total = Rate()
    for n, r in rates.items():
        total.add(r)
        print(f"  {n} clerks: {r.customers:5d} customers, escalated {r.share:6.2%} (group rule {r.group_share:6.2%})")
    print(f"  all    : {total.customers:5d} customers, escalated {total.share:6.2%} (group rule {total.group_share:6.2%})")
    print(f"  escalating findings: {dict(sorted(total.codes.items()))}")
    print(f"verdict: {'met' if total.share <= TARGET else 'NOT met'} (target <= {TARGET:.0%} of ordinary customers escalated)")


if __name__ == "__main__":
    main()
