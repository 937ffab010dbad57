"""Scenario configuration: the shipped default (default.toml, Xianning) merged with a user TOML file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_TOML = Path(__file__).with_name("default.toml")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Network(_Section):
    operator: str
    mobile_prefixes: list[str]
    other_mobile_prefixes: list[str]
    area_code: str
    iot_prefix: str
    imsi_prefix: str
    external_ratio: float = Field(ge=0)


class Population(_Section):
    lines_per_person: list[float]
    extra_line_types: dict[str, float]
    occupations: dict[str, float]
    male_share: float
    local_id_share: float
    student_local_id_share: float
    status: dict[str, float]
    years_of_openings: float
    dual_sim_share: float
    handset_change_per_day: float


class College(_Section):
    name: str
    lat: float
    lon: float
    cells: int = 3


class County(_Section):
    name: str
    code: str
    lat: float
    lon: float
    weight: float
    towns: int
    colleges: list[College] = []


class Remote(_Section):
    name: str
    code: str
    lat: float
    lon: float
    kind: str


class Geography(_Section):
    cells_per_10k_lines: float
    urban_share: float
    town_share: float
    trip_per_day: float
    wander_share: float
    work_hours: list[int]
    counties: list[County]
    remote: list[Remote]


class Ids(_Section):
    other_divisions: list[str]


class Shops(_Section):
    per_10k_lines: float
    clerks_per_shop: list[int]


class Calling(_Section):
    social_calls_per_line_day: float
    ties_median: float
    ties_sigma: float
    hub_share: float
    hub_factor: list[float]
    rate_vs_ties: float
    activity_sigma: float
    popularity_alpha: float
    community_size: list[int]
    tie_mix: dict[str, float]
    answered: float
    duration_median_s: float
    duration_sigma: float
    household_duration_median_s: float
    max_duration_s: int
    weekend_factor: float
    sms_per_call: float
    service_inbound_per_line_day: float
    a2p_sms_per_line_day: float
    iot_sms_per_line_day: float = 3.0
    hourly_weekday: list[float]
    hourly_weekend: list[float]
    hourly_business: list[float]
    hourly_fraud: list[float]


class HardNegatives(_Section):
    courier: float
    sales: float
    customer_service: float
    taxi_dispatch: float


class Fraud(_Section):
    camouflage: float = Field(ge=0, le=1)
    window_onset: list[float]
    fraud_caller: float
    elderly_care_share: float
    simbox: float
    simbox_size: list[int]
    simbox_gateways: list[int]
    simbox_active_share: float
    bulk_opening: float
    bulk_lines_per_id: list[int]
    bulk_ids: list[int]
    bulk_dormant_days: list[int]
    resold: float
    resold_per_buyer: list[int]
    mule_share: float


class Reports(_Section):
    victim_min_duration_s: int
    report_prob: float
    false_report_per_10k_lines: float
    delay_days_median: float


class Tips(_Section):
    per_10k_lines: float
    with_numbers: float


class Blacklist(_Section):
    per_10k_lines: float
    fraud_owner_share: float


class Tactics(_Section):
    """Shares of lines per tactic (fanzha.sim.tactics); 0 = the tactic is off. Tactic-specific knobs
    sit beside them with the tactic's name as prefix."""

    slow_caller: float = Field(0.0, ge=0)
    bought_old_line: float = Field(0.0, ge=0)
    social_caller: float = Field(0.0, ge=0)
    sms_first: float = Field(0.0, ge=0)
    resold_province: float = Field(0.0, ge=0)
    resold_city: float = Field(0.0, ge=0)
    bank_moving: float = Field(0.0, ge=0)
    bank_handsets: float = Field(0.0, ge=0)
    bank_imei_rotation: float = Field(0.0, ge=0)
    bank_inbound: float = Field(0.0, ge=0)
    bank_shifts: float = Field(0.0, ge=0)
    bank_two_sites: float = Field(0.0, ge=0)
    telemarketer: float = Field(0.0, ge=0)
    delivery_rider: float = Field(0.0, ge=0)
    mover: float = Field(0.0, ge=0)
    traveller: float = Field(0.0, ge=0)
    phone_changer: float = Field(0.0, ge=0)
    crowd: float = Field(0.0, ge=0)
    # Knobs of the SIM-bank tactics and crowds (fanzha.sim.tactics_banks), ranges drawn per bank or site.
    bank_moving_hours: list[float] = [3.0, 24.0]  # hours between moves (a car: a few; rented rooms: a day)
    bank_moving_stops: list[int] = [4, 8]  # cells the box moves among (the car's route, the rooms)
    bank_imei_rotation_days: list[float] = [0.5, 2.0]  # days between rewrites of the gateways' IMEIs
    bank_inbound_share: list[float] = [0.3, 0.5]  # share of the members' calls that are inbound
    bank_inbound_member_share: list[float] = [0.3, 0.6]  # of those inbound calls, share from other members
    bank_inbound_accomplices: list[int] = [2, 6]  # outside numbers that call the members
    bank_shifts_sets: list[int] = [2, 3]  # sets of SIMs taking turns
    bank_shifts_hours: list[int] = [8, 22]  # the working day the sets share out, hour to hour
    bank_two_sites_km: list[float] = [2.0, 6.0]  # distance between the two sites
    crowd_site_lines: list[int] = [150, 400]  # ordinary lines of one crowd (a campus, a station, a hospital)


class Labels(_Section):
    # Share of fraud lines written as `normal` in labels.csv (real history: many were never caught);
    # labels_truth.csv then holds every line's true label.
    unlabelled_share: float = Field(0.0, ge=0, le=1)


class Role(_Section):
    out_per_day: float = Field(ge=0)
    in_per_day: float = Field(ge=0)
    sms_out_per_day: float = Field(ge=0)
    answered: float = Field(ge=0, le=1)
    duration_median_s: float = Field(gt=0)
    duration_sigma: float = Field(ge=0)
    hours: Literal["business", "fraud", "day"]
    targets: Literal["local", "elderly_students", "elderly", "ring", "foreign_mix"]


class SimConfig(_Section):
    network: Network
    population: Population
    geography: Geography
    ids: Ids
    shops: Shops
    calling: Calling
    hard_negatives: HardNegatives
    fraud: Fraud
    reports: Reports
    tips: Tips
    blacklist: Blacklist
    roles: dict[str, Role]
    tactics: Tactics = Tactics()
    labels: Labels = Labels()

    @classmethod
    def load(cls, path: Path | None = None, **overrides: Any) -> SimConfig:
        """The default scenario, with PATH's TOML merged over it, then dotted OVERRIDES (``fraud.camouflage=0``)."""
        data = tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8"))
        if path is not None:
            _merge(data, tomllib.loads(Path(path).read_text(encoding="utf-8")))
        for dotted, value in overrides.items():
            node = data
            *parents, leaf = dotted.split(".")
            for key in parents:
                node = node.setdefault(key, {})
            node[leaf] = value
        return cls.model_validate(data)


def _merge(base: dict, extra: dict) -> None:
    # Tables merge key by key; arrays (e.g. the county list) are replaced whole.
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def resolve(config: SimConfig | Path | str | None) -> SimConfig:
    if isinstance(config, SimConfig):
        return config
    return SimConfig.load(Path(config) if config is not None else None)
