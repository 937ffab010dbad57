"""Pluggable adapters by name: a built-in, an entry point of a group, or ``module:Class``.

Used by the BSS order adapters (casework/measures) and the victim-warning adapters (casework/monitor).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any


def load_plugin(name: str, builtin: Mapping[str, Callable[..., Any]], group: str, what: str, *args: Any) -> Any:
    """Build the adapter ``name`` with ``args``; a clear ValueError names the choices when it is unknown."""
    if name in builtin:
        return builtin[name](*args)
    for ep in entry_points(group=group):
        if ep.name == name:
            return ep.load()(*args)
    if ":" in name:
        module, _, attr = name.partition(":")
        return getattr(importlib.import_module(module), attr)(*args)
    raise ValueError(f"unknown {what} {name!r}: use {', '.join(builtin)}, an entry point of {group}, "
                     "or module:Class")
