"""Field types for text typed by users (forms and API bodies), shared by every domain's schemas.

``Text`` refuses control characters (NUL above all: PostgreSQL cannot store it and would fail the
request with a server error) and lone surrogates (not encodable as UTF-8); tabs and newlines stay allowed.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")  # controls, lone surrogates


def no_control_chars(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("control characters are not allowed")
    return value


Text = Annotated[str, AfterValidator(no_control_chars)]
