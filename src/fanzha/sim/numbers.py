"""Telephone numbers: own lines, other carriers' numbers, service numbers and foreign numbers.

Numbers are drawn as a fixed permutation of a running index inside each prefix (multiplying by a
constant coprime with the block size), so they look random but never collide."""

from __future__ import annotations

import numpy as np

from fanzha.sim.text import digits, to_numpy_str

# Numbers that call or text ordinary subscribers (banks, couriers, carriers, government hotlines).
SERVICE_NUMBERS = ["95588", "95533", "95599", "95566", "95555", "95338", "95311", "95546", "10000", "10086",
                   "10010", "12345", "12315", "96110", "95013", "4008111111", "4006095555", "02787654321"]
# Senders of notices and verification codes. Real traffic also uses 106xxxx long codes; fanzha.numbers
# does not accept those yet, so the short codes that banks and carriers also send from are used.
A2P_SENDERS = ["95588", "95533", "95599", "95566", "95555", "95559", "95568", "95595", "10000", "10086",
               "10010", "95338", "95311", "12306", "95017"]
# Mobile number plans of countries seen in cross-border fraud (Cambodia, Myanmar, Philippines, Malaysia,
# Thailand, Laos): country code → (national prefixes, digits after the prefix).
FOREIGN_PLANS = {
    "855": (["12", "15", "16", "17", "77", "78", "89", "92", "96", "97", "98", "99", "10", "11", "70", "69"], 6),
    "95": (["925", "926", "940", "942", "944", "945", "965", "966", "967", "976", "977", "978", "979", "995",
            "996", "997"], 7),
    "63": (["905", "906", "915", "916", "917", "926", "927", "935", "936", "945", "955", "956", "965", "966",
            "975", "977", "995", "996", "997", "998"], 7),
    "60": (["12", "13", "16", "17", "19"], 7),
    "66": (["81", "82", "83", "84", "85", "86", "87", "89", "91", "92", "93", "94", "95", "96", "97", "98"], 7),
    "856": (["202", "205", "207", "209"], 7),
}

def permuted(prefixes: np.ndarray, width: int, salt: int) -> np.ndarray:
    """One unique number per element: PREFIX followed by WIDTH digits."""
    n = len(prefixes)
    block = 10**width
    uniq, inv = np.unique(prefixes, return_inverse=True)
    inv = inv.reshape(-1)
    # k: how many earlier elements have the same prefix.
    counts = np.bincount(inv, minlength=len(uniq))
    order = np.argsort(inv, kind="stable")
    k = np.empty(n, dtype=np.int64)
    k[order] = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts)
    # 61803399 is odd and not a multiple of 5, hence coprime with 10**width.
    res = (k * 61803399 + salt * 7907 + uniq.astype(np.int64)[inv] * 131) % block
    lengths = np.char.str_len(uniq) if len(uniq) else np.zeros(0, int)
    if len(uniq) and (lengths == lengths[0]).all():
        w = int(lengths[0])
        head = np.frombuffer(uniq.astype(f"S{w}").tobytes(), dtype=np.uint8).reshape(-1, w)
        return to_numpy_str(np.concatenate([head[inv], digits(res, width)], axis=1))
    return np.char.add(prefixes.astype(str), to_numpy_str(digits(res, width)))


def mobile_numbers(rng: np.random.Generator, prefixes: list[str], n: int, salt: int) -> np.ndarray:
    return permuted(np.array(prefixes)[rng.integers(0, len(prefixes), n)], 8, salt)


def fixed_numbers(area_code: str, n: int, salt: int) -> np.ndarray:
    # Local fixed numbers are 7 digits starting with 5, 6 or 8 (the contract's example: 07158123456).
    lead = np.array(["8", "5", "6"])[np.arange(n) % 3]
    return permuted(np.char.add(area_code, lead), 6, salt)


def iot_numbers(prefix: str, n: int, salt: int) -> np.ndarray:
    return permuted(np.full(n, prefix), 9, salt)


def foreign_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """N distinct foreign mobile numbers (+E.164), each valid by the phonenumbers metadata."""
    import phonenumbers

    out: list[str] = []
    seen: set[str] = set()
    ccs = list(FOREIGN_PLANS)
    while len(out) < n:
        for _ in range(n - len(out)):
            cc = ccs[int(rng.integers(0, len(ccs)))]
            prefixes, width = FOREIGN_PLANS[cc]
            number = f"+{cc}{prefixes[int(rng.integers(0, len(prefixes)))]}{int(rng.integers(0, 10**width)):0{width}d}"
            if number not in seen and phonenumbers.is_valid_number(phonenumbers.parse(number)):
                seen.add(number)
                out.append(number)
    return np.array(out)
