"""One check for the explicit state machines of the desks (reports, tips): target known and allowed."""

from __future__ import annotations

from enum import StrEnum


def next_state(enum: type[StrEnum], transitions: dict, labels: dict, *, current: str, target: str, noun: str,
               error: type[Exception]) -> StrEnum:  # fmt: skip
    """The target state, or ``error`` with a Chinese message naming both states."""
    try:
        to = enum(target)
    except ValueError:
        raise error(f"未知状态 unknown state {target[:20]!r}") from None
    now = enum(current)
    if to not in transitions[now]:
        raise error(f"「{labels[now]}」的{noun}不能改为「{labels[to]}」")
    return to
