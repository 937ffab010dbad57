"""The counter-gate rules: a TOML file (``default_rules.toml`` shipped; ``FANZHA_ONBOARDING_RULES`` overrides)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from fanzha.casework.onboarding.enums import Level

DEFAULT_RULES = Path(__file__).with_name("default_rules.toml")
LINE_TYPES = ("mobile", "fixed", "iot")
LINE_TYPE_LABELS = {"mobile": "手机号码", "fixed": "固定电话", "iot": "物联网卡"}


def line_type_label(code: str | None) -> str:
    """手机号码 for "mobile"; an unknown code as it is."""
    return LINE_TYPE_LABELS.get(code or "", code or "")


@dataclass(frozen=True)
class AgeBand:
    name: str
    min_age: int
    max_age: int
    reminder: str
    escalate_lines_at_least: int


@dataclass(frozen=True)
class ChecklistStep:
    key: str
    label: str
    hint: str = ""


@dataclass(frozen=True)
class Checklist:
    name: str
    title: str
    steps: tuple[ChecklistStep, ...]


@dataclass(frozen=True)
class Rules:
    fraud_statuses: frozenset[str]
    cap_per_operator: dict[str, int]
    cap_all_carriers: dict[str, int]
    min_age: int
    age_bands: tuple[AgeBand, ...]
    bulk: dict[str, int]
    velocity_shops: int
    velocity_hours: float
    group_people: int
    group_minutes: float
    high_risk_regions: tuple[str, ...]
    region_level: Level
    prior_fraud_level: Level
    staff_min_lines: int
    clerk_share: float
    shop_share: float
    staff_level: Level
    staff_cache_seconds: float
    purpose_required: bool
    suspicious_words: tuple[str, ...]
    purpose_level: Level
    cross_carrier_adapter: str
    checklist: Checklist
    checklists: dict[str, Checklist] = field(default_factory=dict)


def _checklist(name: str, raw: dict) -> Checklist:
    steps = tuple(ChecklistStep(key=s["key"], label=s["label"], hint=s.get("hint", "")) for s in raw["steps"])
    if not steps or len({s.key for s in steps}) != len(steps):
        raise ValueError(f"checklist {name}: steps must be present and have unique keys")
    return Checklist(name=name, title=raw.get("title", name), steps=steps)


def parse_rules(raw: dict) -> Rules:
    caps, vel, reg, staff, purpose = raw["caps"], raw["velocity"], raw["regions"], raw["staff"], raw["purpose"]
    checklists = {name: _checklist(name, c) for name, c in raw["checklists"].items()}
    active = raw["checklist"]["active"]
    if active not in checklists:
        raise ValueError(f"checklist.active = {active!r} is not one of {sorted(checklists)}")
    return Rules(
        fraud_statuses=frozenset(raw.get("fraud_statuses", ["shutdown"])),
        cap_per_operator={k: int(v) for k, v in caps.get("per_operator", {}).items()},
        cap_all_carriers={k: int(v) for k, v in caps.get("all_carriers", {}).items()},
        min_age=int(raw["minor"]["min_age"]),
        age_bands=tuple(AgeBand(**b) for b in raw.get("age_bands", [])),
        bulk={k: int(v) for k, v in raw.get("bulk", {}).items()},
        velocity_shops=int(vel["shops_at_least"]),
        velocity_hours=float(vel["within_hours"]),
        group_people=int(vel["group_people_at_least"]),
        group_minutes=float(vel["group_within_minutes"]),
        high_risk_regions=tuple(str(r) for r in reg.get("high_risk", [])),
        region_level=Level.parse(reg.get("level", "escalate")),
        prior_fraud_level=Level.parse(raw["prior_fraud"].get("level", "escalate")),
        staff_min_lines=int(staff["min_lines"]),
        clerk_share=float(staff["clerk_share"]),
        shop_share=float(staff["shop_share"]),
        staff_level=Level.parse(staff.get("level", "remind")),
        staff_cache_seconds=float(staff.get("cache_seconds", 600)),
        purpose_required=bool(purpose.get("required", True)),
        suspicious_words=tuple(purpose.get("suspicious_words", [])),
        purpose_level=Level.parse(purpose.get("level", "escalate")),
        cross_carrier_adapter=raw.get("cross_carrier", {}).get("adapter", "simulated"),
        checklist=checklists[active],
        checklists=checklists,
    )


def load_rules(path: str | Path | None = None) -> Rules:
    """The rules from ``path``, else $FANZHA_ONBOARDING_RULES, else the shipped defaults."""
    path = Path(path or os.environ.get("FANZHA_ONBOARDING_RULES") or DEFAULT_RULES)
    with path.open("rb") as fh:
        return parse_rules(tomllib.load(fh))


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    return load_rules(DEFAULT_RULES)
