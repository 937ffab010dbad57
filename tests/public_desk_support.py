"""Shared values and helpers of the public-desk tests (tests/public_desk, tests/web)."""

from __future__ import annotations

import csv

OWN = ("13307150001", "18907150002")  # lines in the registry (fixture own_lines)
OTHER = "13812345678"  # China Mobile: not the operator's line


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path
