"""Personal data at rest and on screen: keyed hashes, encryption, masking.

Keys come from settings (``Settings.keys()``); nothing here reads the environment itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import struct
import time
from collections.abc import Iterable, Sequence

import numpy as np
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


class Protector:
    """Hash (for exact matching) and encrypt (for the rare, logged unmasking) personal values."""

    def __init__(self, hash_key: bytes, data_key: bytes) -> None:
        self._hash_key = hash_key
        self._data_key = data_key
        self._fernet = Fernet(data_key)

    def __reduce__(self):
        # Picklable, so process pools can share the work of bulk loads.
        return (Protector, (self._hash_key, self._data_key))

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

    # Bulk forms for loaders: same results as hash()/encrypt() (tokens decrypt with decrypt()),
    # several times faster because HMAC key schedules are computed once and AES runs over
    # whole batches.

    def hash_many(self, values: Iterable[str]) -> list[str]:
        inner, outer = _hmac_states(self._hash_key)
        out = []
        for v in values:
            i = inner.copy()
            i.update(v.strip().upper().encode())
            o = outer.copy()
            o.update(i.digest())
            out.append(o.hexdigest())
        return out

    def encrypt_many(self, values: Sequence[str]) -> list[str]:
        return _fernet_encrypt_many(self._data_key, [v.encode() for v in values])


def _hmac_states(key: bytes):
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    return inner, outer


def _fernet_encrypt_many(data_key: bytes, plaintexts: list[bytes]) -> list[str]:
    """Fernet tokens (spec: version, timestamp, IV, AES-128-CBC, HMAC-SHA256) for many messages.

    CBC is sequential within a message but independent across messages, so block j of every
    message is encrypted in one AES-ECB call over the whole batch (C_j = E(P_j xor C_{j-1})).
    """
    raw = base64.urlsafe_b64decode(data_key)
    signing_key, encryption_key = raw[:16], raw[16:]
    ecb = Cipher(algorithms.AES(encryption_key), modes.ECB()).encryptor()
    inner0, outer0 = _hmac_states(signing_key)
    header = b"\x80" + struct.pack(">Q", int(time.time()))
    out: list[str | None] = [None] * len(plaintexts)
    groups: dict[int, list[int]] = {}
    for i, p in enumerate(plaintexts):
        groups.setdefault(len(p) // 16 + 1, []).append(i)
    for nblocks, idx in groups.items():
        n = len(idx)
        size = nblocks * 16
        buf = bytearray()
        for i in idx:  # PKCS7 padding
            p = plaintexts[i]
            pad = size - len(p)
            buf += p + bytes((pad,)) * pad
        plain = np.frombuffer(bytes(buf), dtype=np.uint8).reshape(n, nblocks, 16)
        ivs = np.frombuffer(os.urandom(16 * n), dtype=np.uint8).reshape(n, 16)
        cipher = np.empty_like(plain)
        prev = ivs
        for j in range(nblocks):
            block = np.bitwise_xor(plain[:, j, :], prev)
            cipher[:, j, :] = np.frombuffer(ecb.update(block.tobytes()), dtype=np.uint8).reshape(n, 16)
            prev = cipher[:, j, :]
        body = np.concatenate([ivs, cipher.reshape(n, size)], axis=1).tobytes()
        step = 16 + size
        for k, i in enumerate(idx):
            msg = header + body[k * step:(k + 1) * step]
            h = inner0.copy()
            h.update(msg)
            o = outer0.copy()
            o.update(h.digest())
            out[i] = base64.urlsafe_b64encode(msg + o.digest()).decode()
    return out  # type: ignore[return-value]



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
_MOBILE_RE = re.compile(r"(?<![\d+])((?:\+|00)?86[- ]?)?(1\d{10})(?!\d)")


def redact(text: str | None) -> str:
    """Mask ID numbers and mobile numbers inside free text (log lines, purposes, notes).

    >>> redact("查询 13307151234 与 42120219900101123X")
    '查询 133****1234 与 4212**********123X'
    """
    if not text:
        return ""
    text = _ID_RE.sub(lambda m: mask_id(m.group(0)), text)
    return _MOBILE_RE.sub(lambda m: (m.group(1) or "") + mask_msisdn(m.group(2)), text)


# --- logs ------------------------------------------------------------------------------------------


class MaskingFilter(logging.Filter):
    """Logging filter that masks ID and mobile numbers in the message and its arguments.

    Attach it to handlers (filters on a logger do not see records from child loggers):
    ``handler.addFilter(MaskingFilter())``, or call :func:`install_log_masking`.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            # uvicorn's access formatter unpacks the arguments (client, method, path, version, status):
            # mask each one in place instead of folding them into the message.
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
            return True
        message = record.getMessage()
        masked = redact(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class MaskingFormatter(logging.Formatter):
    """Formatter that masks the whole formatted line, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def install_log_masking(logger: logging.Logger | None = None) -> None:
    """Add a :class:`MaskingFilter` to every handler of LOGGER (default: the root logger)."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
