"""一证通查: lines registered to an ID number at the OTHER carriers.

The real service belongs to MIIT and the carriers; fanzha talks to it through :class:`CrossCarrierRegistry`.
:class:`SimulatedCrossCarrier` stands in for it in the demo and the tests: counts derived from the keyed hash
(stable per person, so the demo answers the same every time), plus explicit overrides.
"""

from __future__ import annotations

from typing import Protocol


class CrossCarrierRegistry(Protocol):
    def lines_elsewhere(self, *, person_hash: str) -> dict[str, dict[str, int]]:
        """{carrier: {line_type: count}} of lines in use at other carriers."""


OTHER_CARRIERS = ("mobile", "unicom")
CARRIER_LABELS = {"mobile": "中国移动", "unicom": "中国联通", "telecom": "中国电信"}


class SimulatedCrossCarrier:
    """Most people hold 0–2 lines elsewhere; a few hold many (about 1 in 64 has 4 at each other carrier)."""

    def __init__(self, overrides: dict[str, dict[str, dict[str, int]]] | None = None, *, derive: bool = True) -> None:
        self._overrides = dict(overrides or {})
        self._derive = derive  # False: nobody holds lines elsewhere unless set (tests)

    def set(self, *, person_hash: str, lines: dict[str, dict[str, int]]) -> None:
        self._overrides[person_hash] = lines

    def lines_elsewhere(self, *, person_hash: str) -> dict[str, dict[str, int]]:
        if person_hash in self._overrides:
            return self._overrides[person_hash]
        if not self._derive:
            return {}
        b = int(person_hash[:4], 16)
        if b % 64 == 0:
            return {c: {"mobile": 4} for c in OTHER_CARRIERS}
        return {c: {"mobile": (b >> (4 * i)) % 3 // 2} for i, c in enumerate(OTHER_CARRIERS)}


def make_registry(name: str) -> CrossCarrierRegistry:
    if name == "simulated":
        return SimulatedCrossCarrier()
    raise ValueError(f"unknown cross-carrier adapter {name!r} (known: simulated)")
