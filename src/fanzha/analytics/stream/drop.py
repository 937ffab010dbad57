"""The drop folder the mediation system writes call-record files into.

Protocol for writers: write the file under a hidden or ``.tmp``/``.part`` name and rename it into
place (rename is atomic); a file is also taken only once it has not changed for ``settle_s``.
A file is a CDR file unless its name starts with ``sms`` or it sits in a folder named ``sms``.

A claimed file is renamed into ``INBOX/<kind>/<arrival ns>-<seq>-<name>``: the arrival time travels in
the name, so a monitor killed right after the rename still knows when the file came.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from fanzha.analytics.ingest import DATA_SUFFIXES

IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")


@dataclass(frozen=True)
class Claimed:
    path: Path  # in the inbox
    kind: str  # cdr | sms
    arrived_ns: int  # epoch ns the file appeared in the drop folder (its ctime: set by the rename into place)

    @property
    def name(self) -> str:
        return self.path.name


def kind_of(path: Path, root: Path) -> str:
    rel = path.relative_to(root)
    if path.name.lower().startswith("sms") or any(p.lower() == "sms" for p in rel.parts[:-1]):
        return "sms"
    return "cdr"


def ready_files(root: Path, *, settle_s: float, now: float | None = None) -> list[tuple[Path, os.stat_result]]:
    """Complete data files in the drop folder (recursively), oldest arrival first."""
    now = time.time() if now is None else now
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith((".", "_"))]
        for fn in filenames:
            low = fn.lower()
            if fn.startswith((".", "_")) or low.endswith(IGNORED_SUFFIXES) or not low.endswith(DATA_SUFFIXES):
                continue
            p = Path(dirpath) / fn
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            if now - max(st.st_mtime, st.st_ctime) >= settle_s:
                out.append((p, st))
    out.sort(key=lambda x: (x[1].st_ctime_ns, str(x[0])))
    return out


class Inbox:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._seq = 0

    def claim(self, path: Path, st: os.stat_result, root: Path) -> Claimed:
        kind = kind_of(path, root)
        target_dir = self.folder / kind
        target_dir.mkdir(parents=True, exist_ok=True)
        self._seq += 1
        arrived = max(st.st_ctime_ns, st.st_mtime_ns)
        target = target_dir / f"{arrived:019d}-{os.getpid()}-{self._seq:06d}-{path.name}"
        os.replace(path, target)
        return Claimed(target, kind, arrived)

    def put(self, src: Path, kind: str, arrived_ns: int, name: str) -> Claimed:
        """Move a file made elsewhere (an HTTP body, a Spark micro-batch) into the inbox."""
        target_dir = self.folder / kind
        target_dir.mkdir(parents=True, exist_ok=True)
        self._seq += 1
        target = target_dir / f"{arrived_ns:019d}-{os.getpid()}-{self._seq:06d}-{name}"
        os.replace(src, target)
        return Claimed(target, kind, arrived_ns)

    def pending(self) -> list[Claimed]:
        """Claimed files not yet finished (after a restart: those a killed monitor left), oldest first."""
        out = []
        for kind in ("cdr", "sms"):
            d = self.folder / kind
            if d.is_dir():
                for p in d.iterdir():
                    if p.is_file() and p.name[:19].isdigit():
                        out.append(Claimed(p, kind, int(p.name[:19])))
        return sorted(out, key=lambda c: (c.arrived_ns, c.name))


def move_aside(claimed: Claimed, folder: Path, report: dict) -> Path:
    """A file that failed validation entirely: into ``folder`` with ``<name>.report.json`` beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / claimed.name
    rep = folder / f"{claimed.name}.report.json"
    tmp = folder / f".{claimed.name}.report.tmp"
    tmp.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, rep)  # the report first: a crash leaves the file in the inbox, to be judged again
    os.replace(claimed.path, target)
    return target
