"""Personal data at rest and on screen: keyed hashes, encryption, masking.

Keys come from settings (``Settings.keys()``); nothing here reads the environment itself.
"""

from __future__ import annotations

import hashlib
import hmac

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

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()


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
