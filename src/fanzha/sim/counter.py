"""Ordinary customers at a shop's counter over one day: who comes when, which clerk serves them, how long the
checklist and the signature take, who mistypes the ID first and who walks away. No gang in it: what the
counter gate's group rule must NOT escalate (measured by benchmarks/onboarding_group.py and
tests/onboarding/test_onboarding_group_rate.py).

The rates are a counter's, not the province simulation's (whose shops open a few lines a day spread over
years): a clerk serves a customer in 6–14 minutes (six-step method and signed notice), the shop is open
09:00–18:00, and at the busiest hours the clerks are ``peak_load`` busy (arrivals as a Poisson process with a
late-morning and an afternoon peak). Customers wait in one queue for the first free clerk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from fanzha.ids import make_id

# Share of the peak arrival rate per opening hour, 09:00 … 17:00 (China Standard Time).
HOURLY = (0.45, 0.85, 1.0, 0.7, 0.55, 0.75, 0.95, 0.9, 0.6)
CST = timedelta(hours=8)
DIVISIONS = ("421202", "421221", "421222", "421223", "421224", "421281")  # the shop's own prefecture
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


@dataclass(frozen=True)
class Customer:
    id_no: str
    name: str
    clerk: int  # which of the shop's clerks serves them
    start: datetime  # the check is made (UTC)
    end: datetime  # checklist done and notice signed (or walked away)
    lines: int  # mobile lines asked for
    typo: bool  # a first check with a mistyped ID (refused), then the right one
    completes: bool  # signs and gets the card (False: walks away before signing)


def ordinary_day(*, seed: int, day: date, clerks: int, peak_load: float = 0.7, typo_share: float = 0.05,
                 walk_away_share: float = 0.05, service_minutes: tuple[float, float] = (6.0, 14.0),
                 first_seq: int = 0) -> list[Customer]:  # fmt: skip
    """One day of ordinary customers at a shop with ``clerks`` clerks, in the order their checks are made."""
    rng = np.random.default_rng([seed, day.toordinal(), clerks])
    mean_service = sum(service_minutes) / 2
    peak_per_minute = peak_load * clerks / mean_service
    opening = datetime(day.year, day.month, day.day, 9, tzinfo=UTC) - CST
    arrivals: list[float] = []
    for hour, share in enumerate(HOURLY):
        n = rng.poisson(peak_per_minute * share * 60)
        arrivals += sorted(hour * 60 + rng.uniform(0, 60, n))
    free = [0.0] * clerks  # minute each clerk is free again
    out = []
    for k, t in enumerate(arrivals):
        clerk = int(np.argmin(free))
        start = max(t, free[clerk])
        took = rng.uniform(*service_minutes)
        free[clerk] = start + took
        born = date(1960, 1, 1) + timedelta(days=int(rng.integers(0, 40 * 365)))
        age = day.year - born.year
        name = SURNAMES[rng.integers(len(SURNAMES))] + "".join(GIVEN[i] for i in rng.integers(len(GIVEN), size=2))
        out.append(Customer(
            id_no=make_id(DIVISIONS[rng.integers(len(DIVISIONS))], born, (first_seq + k) % 1000), name=name,
            clerk=clerk, start=opening + timedelta(minutes=start), end=opening + timedelta(minutes=start + took),
            lines=2 if 25 <= age < 65 and rng.random() < 0.1 else 1, typo=bool(rng.random() < typo_share),
            completes=bool(rng.random() >= walk_away_share),
        ))  # fmt: skip
    return sorted(out, key=lambda c: c.start)
