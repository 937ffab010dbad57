"""Personal data at rest and on screen: keyed hashes, encryption, masking.

Keys come from settings (``Settings.keys()``); nothing here reads the environment itself.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from cryptography.fernet import Fernet


class Protector:
    """Hash (for exact matching) and encrypt (for the rare, logged unmasking) personal values."""

    def __init__(self, hash_key: bytes, data_key: bytes) -> None:
        self._hash_key = hash_key
        self._fernet = Fernet(data_key)

    @classmethod
    def from_settings(cls, settings) -> Protector:
        return cls(*settings.keys())

    def hash(self, value: str) -> str:
        return hmac.new(self._hash_key, value.strip().upper().encode(), hashlib.sha256).hexdigest()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str, *, ttl: int | None = None) -> str:
        """Clear text; with ``ttl`` (seconds) a token older than that is refused (cryptography.fernet.InvalidToken)."""
        return self._fernet.decrypt(token.encode(), ttl=ttl).decode()


def mask_id(id_no: str | None) -> str:
    """Keep region prefix and the last four: ``4212**********123X``.

    >>> mask_id("42120219900101123X")
    '4212**********123X'
    """
    if not id_no:
        return ""
    s = id_no.strip()
    if len(s) <= 8:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]


def mask_name(name: str | None) -> str:
    """Keep the surname (first character): ``张*``, ``欧阳**`` keeps only ``欧``.

    >>> mask_name("张三")
    '张*'
    """
    if not name:
        return ""
    s = name.strip()
    return s[0] + "*" * (len(s) - 1) if len(s) > 1 else "*"


def mask_msisdn(number: str | None) -> str:
    """Hide the middle four digits of a mobile number: ``133****1234``.

    >>> mask_msisdn("13307151234")
    '133****1234'
    """
    if not number:
        return ""
    s = number.strip()
    if len(s) < 7:
        return s[:1] + "*" * (len(s) - 1)
    return s[:3] + "****" + s[7:]


def derived_key(master: bytes, purpose: str) -> bytes:
    """A sub-key for one purpose (audit chain, CSRF, …), so one secret is never used for two jobs."""
    return hmac.new(master, b"fanzha:" + purpose.encode(), hashlib.sha256).digest()


# An 18-character ID (17 digits + digit/X) or an 11-digit mobile number standing alone in free text.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE_RE = re.compile(r"(?<!\d)1\d{10}(?!\d)")


def redact(text: str | None) -> str:
    """Mask ID numbers and mobile numbers inside free text (log lines, purposes, notes).

    >>> redact("查询 13307151234 与 42120219900101123X")
    '查询 133****1234 与 4212**********123X'
    """
    if not text:
        return ""
    text = _ID_RE.sub(lambda m: mask_id(m.group(0)), text)
    return _MOBILE_RE.sub(lambda m: mask_msisdn(m.group(0)), text)
