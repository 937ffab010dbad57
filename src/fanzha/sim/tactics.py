"""The tactics fraud gangs use to hide, and the look-alikes they hide among: one registry.

Each tactic is a switch in the scenario TOML (``[tactics]``: a share of lines, 0 = off) and, where it
makes lines of its own, their ``scenario`` value in ``labels.csv``. The robustness benchmark
(``benchmarks/robustness.py``) iterates this registry to leave one tactic out at a time, so a tactic
that is not listed here is not measured.

    >>> TACTICS["slow_caller"].label
    'fraud_caller'
    >>> sorted({t.family for t in TACTICS.values()})
    ['fraud_caller', 'hard_negative', 'resold', 'simbox']
    >>> [t.name for t in by_family("resold")]
    ['resold_province', 'resold_city']
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tactic:
    name: str  # key in [tactics] and the `scenario` value of its lines
    label: str  # ground-truth label of its lines (normal for hard negatives)
    family: str  # the detector it is aimed at: fraud_caller, resold, simbox; hard_negative
    zh: str
    why: str  # why it is real (docs/detection.md repeats it)


_ALL = (
    # Fraud callers that do not look like textbook bulk callers.
    Tactic("slow_caller", "fraud_caller", "fraud_caller", "慢速谨慎外呼",
           "15–40 calls a day spread over working hours, more of them answered and longer: gangs slow down "
           "once operators block lines that ring hundreds of numbers an hour."),
    Tactic("bought_old_line", "fraud_caller", "fraud_caller", "收购老号",
           "an old real-name line bought or rented from its owner (两卡 trade): years of genuine social traffic "
           "before it turns, and some of the owner's contacts still call it afterwards."),
    Tactic("social_caller", "fraud_caller", "fraud_caller", "夹带正常社交",
           "the caller keeps an ordinary social life on the line (family calls, SMS) so that its shares and "
           "reciprocity look normal."),
    Tactic("sms_first", "fraud_caller", "fraud_caller", "短信先行",
           "fraud by SMS first (links, 'call me back' texts), few voice calls of its own."),
    # Resold or lent cards that do not leave the region.
    Tactic("resold_province", "resold", "resold", "省内转卖",
           "card sold or lent to someone in the same province (50–150 km away): the new holder's contacts "
           "replace the owner's, with or without a new handset."),
    Tactic("resold_city", "resold", "resold", "同城转借",
           "card lent or sold within the same city (under 30 km): only the contacts, hours and device break."),
    # SIM banks that move or spread out.
    Tactic("bank_moving", "simbox", "simbox", "流动/车载猫池",
           "the box is carried in a car or moved between rented rooms, daily or every few hours."),
    Tactic("bank_handsets", "simbox", "simbox", "一卡一机",
           "each SIM in its own cheap handset: no IMEI carries several SIMs."),
    Tactic("bank_imei_rotation", "simbox", "simbox", "串号轮换",
           "the gateway's IMEIs are changed (rewritten) every day or so."),
    Tactic("bank_inbound", "simbox", "simbox", "伪造来电",
           "members and accomplices call each other so the outgoing share looks normal."),
    Tactic("bank_shifts", "simbox", "simbox", "分班轮换",
           "the SIMs run in shifts: a set works some hours, then the next set takes over."),
    Tactic("bank_two_sites", "simbox", "simbox", "两地分布",
           "the bank is split over two nearby sites (two flats, two cells)."),
    # Legitimate lines that look like fraud.
    Tactic("telemarketer", "normal", "hard_negative", "电话营销",
           "telemarketers and sales lines ringing many of our own subscribers with short calls."),
    Tactic("delivery_rider", "normal", "hard_negative", "外卖骑手",
           "delivery riders: many short calls to strangers across a town all day, moving fast."),
    Tactic("mover", "normal", "hard_negative", "新迁入用户",
           "a new line of someone who just moved here: new contacts, new places, new handset."),
    Tactic("traveller", "normal", "hard_negative", "出行旅客",
           "people away for days (business trips, holidays): far cells, new local numbers called."),
    Tactic("phone_changer", "normal", "hard_negative", "更换手机",
           "people who change phones: a new IMEI with the same contacts and places."),
    Tactic("crowd", "normal", "hard_negative", "人群密集场所",
           "ordinary people packed into one cell at the same hours (a campus, a station, a hospital): many "
           "lines together in one place, which is what a SIM bank looks like from afar."),
)
TACTICS: dict[str, Tactic] = {t.name: t for t in _ALL}


def by_family(family: str) -> list[Tactic]:
    return [t for t in _ALL if t.family == family]
