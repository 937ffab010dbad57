"""Fraud-type classes for public reports (12321 and similar): codes used in code, Chinese names shown to people."""

from __future__ import annotations

# Order matters only for display; codes are stable (stored with predictions and models).
CLASSES: dict[str, str] = {
    "normal": "正常",
    "police_impersonation": "冒充公检法及政府机关",
    "loan_credit": "贷款、代办信用卡",
    "fake_customer_service": "冒充客服",
    "acquaintance_impersonation": "冒充领导、熟人",
}

# Label values as they appear in Telecom_Fraud_Texts_5 (and the Chinese names above), mapped to codes.
_ALIASES: dict[str, str] = {
    "0": "normal",
    "冒充公检法及政府机关类": "police_impersonation",
    "贷款、代办信用卡类": "loan_credit",
    "冒充客服服务": "fake_customer_service",
    "冒充领导、熟人类": "acquaintance_impersonation",
}


def to_code(value: str) -> str:
    """Normalise a label from a data file (code, Chinese name or the data set's own spelling) to a class code."""
    v = str(value).strip()
    if v in CLASSES:
        return v
    if v in _ALIASES:
        return _ALIASES[v]
    for code, zh in CLASSES.items():
        if v == zh:
            return code
    raise ValueError(f"unknown report class label {value!r}; expected one of {sorted(CLASSES)}")
