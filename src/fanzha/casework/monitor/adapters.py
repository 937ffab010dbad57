"""Where victim warnings go: the SMS platform or the outbound-call (外呼) team. A small plugin interface,
like the BSS adapters (casework/measures/adapters.py).

An adapter gets a list of warnings, best first, and either returns (they are handed over) or raises
(they stay pending and go again next pass). Built in, both write owner-only files atomically:

- ``sms_file``: ``<home>/warnings/sms-<time>-<n>.csv`` (msisdn, text) for the SMS gateway's batch import;
- ``call_list``: ``<home>/warnings/calls-<time>-<n>.csv``, an outbound-call task list in priority order
  (msisdn, priority, group, longest call, talking points).

Select with ``FANZHA_MONITOR_WARNING_ADAPTER``: ``sms_file``, ``call_list``, an entry point of group
``fanzha.warning_adapters`` (a class taking ``settings``), or ``package.module:Class``.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from fanzha.config import Settings
from fanzha.plugins import load_plugin

ENTRY_POINT_GROUP = "fanzha.warning_adapters"
TEMPLATE = Path(__file__).with_name("warning_sms.txt")


@dataclass(frozen=True)
class WarningPayload:
    warning_id: int
    msisdn: str  # the subscriber to warn (in clear: the SMS platform has to reach them)
    fraud_tail: str  # last four digits of the fraud line, all a warning ever shows of it
    group: str  # elderly | student | other
    priority: int
    longest_call_s: int


class WarningAdapterError(RuntimeError):
    """The channel did not take the warnings this time; they stay pending."""


@runtime_checkable
class WarningAdapter(Protocol):
    name: str

    def send(self, warnings: list[WarningPayload]) -> None: ...


def _write_private(folder: Path, stem: str, rows: list[list], header: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    now = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    target = folder / f"{stem}-{now}-{len(rows)}.csv"
    tmp = folder / f".{target.name}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # phone numbers: owner only
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(buf.getvalue())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        raise WarningAdapterError(f"cannot write {target}: {exc}") from exc
    return target


class SmsFileAdapter:
    name = "sms_file"

    def __init__(self, settings: Settings) -> None:
        self.folder = settings.home / "warnings"
        path = settings.monitor_warning_template or TEMPLATE
        self.template = Path(path).read_text(encoding="utf-8").strip()

    def text(self, w: WarningPayload) -> str:
        return self.template.format(fraud_tail=w.fraud_tail)

    def send(self, warnings: list[WarningPayload]) -> None:
        if warnings:
            _write_private(self.folder, "sms", [[w.msisdn, self.text(w)] for w in warnings], ["msisdn", "text"])


class CallListAdapter:
    name = "call_list"

    POINTS = {
        "elderly": "老年用户：放慢语速，提醒“保健品/养老投资/冒充子女借钱”类诈骗，建议告知家属",
        "student": "学生用户：提醒“刷单返利/游戏装备交易/冒充客服退款/助学贷款”类诈骗",
        "other": "提醒“冒充公检法/客服退款/刷单返利/杀猪盘”类诈骗，勿转账、勿透露验证码",
    }

    def __init__(self, settings: Settings) -> None:
        self.folder = settings.home / "warnings"

    def send(self, warnings: list[WarningPayload]) -> None:
        if warnings:
            rows = [[w.msisdn, w.priority, w.group, w.longest_call_s, w.fraud_tail, self.POINTS.get(w.group, "")]
                    for w in warnings]
            _write_private(self.folder, "calls", rows,
                           ["msisdn", "priority", "group", "longest_call_s", "fraud_tail", "talking_points"])


BUILTIN = {"sms_file": SmsFileAdapter, "call_list": CallListAdapter}


def load_warning_adapter(settings: Settings) -> WarningAdapter:
    return load_plugin(settings.monitor_warning_adapter, BUILTIN, ENTRY_POINT_GROUP, "warning adapter", settings)
