"""Handsets and their IMEIs. A TAC (first 8 digits) names a device model; the tables below are
illustrative stand-ins for a real GSMA TAC database, with the market shares used for drawing."""

from __future__ import annotations

import numpy as np

from fanzha.sim.text import digits, luhn_digit, to_numpy_str

# (TAC, model, share)
HANDSETS = [
    ("86769204", "Huawei Mate 60", 0.09), ("86887305", "Huawei nova 12", 0.08), ("86452106", "Honor X50", 0.08),
    ("86012507", "Xiaomi 14", 0.07), ("86533408", "Redmi Note 13", 0.10), ("86701209", "OPPO A2", 0.09),
    ("86322110", "OPPO Reno11", 0.06), ("86194711", "vivo Y100", 0.09), ("86620412", "vivo X100", 0.05),
    ("35391813", "iPhone 15", 0.08), ("35667414", "iPhone 13", 0.07), ("86873015", "realme 12", 0.04),
    ("86210316", "Huawei Enjoy 70 (老人机 style)", 0.05), ("86990117", "Xiaomi Redmi A3", 0.05),
]
# Cheap phones bought for a resold card.
BURNERS = [("86055118", "K-Touch feature phone", 0.5), ("86118219", "Coolpad basic", 0.5)]
# Multi-SIM VoIP/GSM gateways (GOIP, SIM banks).
GATEWAYS = [("86243620", "GoIP-32 gateway", 0.4), ("86243721", "GoIP-16 gateway", 0.3),
            ("86550922", "SK-64 SIM bank", 0.3)]
# IoT modules (meters, trackers, POS).
MODULES = [("86071023", "Quectel BC26 NB-IoT", 0.5), ("86358724", "SIMCom A7670 Cat-1", 0.5)]
# Cheap handsets bought by the box for a phone-per-SIM bank (一卡一机): entry models, not gateways.
CHEAP = [("86402725", "itel A05s", 0.35), ("86519826", "Nokia 105 4G", 0.25), ("86633127", "ZTE Blade A35", 0.25),
         ("86745128", "Redmi A3x", 0.15)]

GATEWAY_TACS = frozenset(t for t, _, _ in GATEWAYS)
KINDS = {"handset": HANDSETS, "burner": BURNERS, "gateway": GATEWAYS, "module": MODULES, "cheap": CHEAP}


class DeviceRegistry:
    """Append-only table of devices; a line refers to devices by index. IMEIs are drawn at the end,
    in one batch per kind, so asking for devices ring by ring stays cheap."""

    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        self._requests: list[tuple[str, int]] = []
        self._same_model: list[tuple[np.ndarray, np.ndarray]] = []
        self.count = 0

    def new(self, kind: str, n: int) -> np.ndarray:
        if kind not in KINDS:
            raise KeyError(kind)
        self._requests.append((kind, n))
        idx = np.arange(self.count, self.count + n)
        self.count += n
        return idx

    def same_model(self, devices: np.ndarray, like: np.ndarray) -> None:
        """DEVICES get the TAC (model) of the devices LIKE: a batch bought together, or an IMEI
        rewritten on the same gateway (only the serial number changes)."""
        self._same_model.append((np.asarray(devices), np.asarray(like)))

    def imeis(self) -> np.ndarray:
        names = list(KINDS)
        kind = np.concatenate([np.full(n, names.index(k), np.int8) for k, n in self._requests]) \
            if self._requests else np.zeros(0, np.int8)
        n = len(kind)
        tac = np.empty(n, dtype="U8")
        for i, name in enumerate(names):
            m = kind == i
            table = KINDS[name]
            shares = np.array([s for _, _, s in table])
            tac[m] = np.array([t for t, _, _ in table])[self._rng.choice(len(table), size=int(m.sum()),
                                                                         p=shares / shares.sum())]
        for dev, like in self._same_model:
            tac[dev] = tac[like]
        body = np.empty((n, 14), dtype=np.uint8)
        body[:, :8] = np.frombuffer(tac.astype("S8").tobytes(), dtype=np.uint8).reshape(n, 8)
        # Serial numbers from a fixed permutation of the running count: unique below a million devices.
        body[:, 8:] = digits((np.arange(n) * 7919 + 104729) % 10**6, 6)
        return to_numpy_str(np.concatenate([body, luhn_digit(body)[:, None]], axis=1))
