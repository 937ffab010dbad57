"""The bridge to the operator's business support system (BSS): a small plugin interface and two adapters.

An adapter gets one order at a time and either returns (the BSS has it) or raises (try again later).
It must be idempotent on ``order.order_key``: the dispatcher may hand the same order over again after a
crash or a timeout, and the BSS must then not act twice. Both adapters here guarantee that:

- ``file`` (default): writes ``<home>/bss/<order_key>.csv``, the export file the BSS imports, atomically;
  a second write of the same order replaces the file with identical content.
- ``webhook``: POSTs JSON to ``bss_webhook_url`` with the header ``Idempotency-Key: <order_key>``; any 2xx or
  409 (already have it) counts as accepted; anything else, or no answer, is retried with backoff.

Select with ``FANZHA_BSS_ADAPTER``: ``file``, ``webhook``, the name of an entry point in group
``fanzha.bss_adapters`` (a class taking ``settings``), or ``package.module:Class``.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import asdict, dataclass
from typing import Protocol, runtime_checkable

from fanzha.config import Settings
from fanzha.plugins import load_plugin

ENTRY_POINT_GROUP = "fanzha.bss_adapters"
EXPORT_COLUMNS = ["order_key", "msisdn", "measure", "source", "origin", "reason", "created_at"]


@dataclass(frozen=True)
class OrderPayload:
    order_key: str
    msisdn: str
    measure: str
    source: str
    origin: str
    reason: str  # personal numbers inside are masked
    created_at: str  # ISO 8601


@dataclass(frozen=True)
class AdapterResult:
    external_ref: str | None = None


class AdapterError(RuntimeError):
    """The BSS did not take the order this time; the dispatcher retries with backoff."""


@runtime_checkable
class BssAdapter(Protocol):
    name: str

    def submit(self, order: OrderPayload) -> AdapterResult: ...


class FileAdapter:
    name = "file"

    def __init__(self, settings: Settings) -> None:
        self.folder = settings.home / "bss"

    def submit(self, order: OrderPayload) -> AdapterResult:
        self.folder.mkdir(parents=True, exist_ok=True)
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerow(asdict(order))
        target = self.folder / f"{order.order_key}.csv"
        tmp = self.folder / f".{order.order_key}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                fh.write(buf.getvalue())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)  # the BSS never sees a half-written file
        except OSError as exc:
            raise AdapterError(f"cannot write {target}: {exc}") from exc
        return AdapterResult(external_ref=target.name)


class WebhookAdapter:
    name = "webhook"

    def __init__(self, settings: Settings) -> None:
        if not settings.bss_webhook_url:
            raise ValueError("the webhook adapter needs FANZHA_BSS_WEBHOOK_URL")
        self.url = settings.bss_webhook_url
        self.timeout = settings.bss_webhook_timeout

    def submit(self, order: OrderPayload) -> AdapterResult:
        import httpx

        try:
            response = httpx.post(self.url, json=asdict(order), timeout=self.timeout,
                                  headers={"Idempotency-Key": order.order_key})  # fmt: skip
        except httpx.HTTPError as exc:
            raise AdapterError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 409 or 200 <= response.status_code < 300:
            ref = None
            try:
                body = response.json()
                ref = str(body.get("id") or body.get("ref") or "") or None if isinstance(body, dict) else None
            except ValueError:
                pass
            return AdapterResult(external_ref=ref)
        raise AdapterError(f"HTTP {response.status_code}: {response.text[:200]}")


BUILTIN = {"file": FileAdapter, "webhook": WebhookAdapter}


def load_adapter(settings: Settings) -> BssAdapter:
    return load_plugin(settings.bss_adapter, BUILTIN, ENTRY_POINT_GROUP, "BSS adapter", settings)
