"""Chinese resident ID numbers (居民身份证号码, GB 11643-1999): the one place that parses them."""

from __future__ import annotations

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits.

    >>> check_char("11010519491231002")
    'X'
    """
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"need 17 digits to compute the check character, got {first17!r}")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS))
    return _CHECK[total % 11]
