"""Read a folder of labelled report texts (CSV with `content,label`), whatever their encoding.

Telecom_Fraud_Texts_5 ships one file in GB18030; a sibling `X.utf8.csv` (a re-encoded copy) is preferred
over `X.csv` so no row is read twice.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fanzha.analytics.reports_text.labels import to_code

_ENCODINGS = ("utf-8-sig", "gb18030")


def _read_csv(path: Path) -> pd.DataFrame:
    last: Exception | None = None
    for enc in _ENCODINGS:
        try:
            return pd.read_csv(path, encoding=enc, dtype=str, keep_default_na=False)
        except UnicodeDecodeError as exc:  # try the next encoding
            last = exc
    raise ValueError(f"{path}: not UTF-8 nor GB18030 ({last})")


def data_files(folder: Path) -> list[Path]:
    """CSV files of a folder, skipping `X.csv` when `X.utf8.csv` is beside it."""
    files = sorted(p for p in Path(folder).glob("*.csv"))
    names = {p.name for p in files}
    return [p for p in files if not (p.suffixes[-1:] == [".csv"] and f"{p.stem}.utf8.csv" in names)]


def load_folder(folder: Path, *, dedupe: bool = True) -> pd.DataFrame:
    """All labelled texts of `folder` as a frame `content, label` (label = class code).

    Exact duplicate texts are dropped (the normal class repeats 200 SMS), so a held-out split never
    tests on a text it trained on.
    """
    frames = []
    for path in data_files(Path(folder)):
        df = _read_csv(path)
        if not {"content", "label"} <= set(df.columns):
            continue
        df = df[["content", "label"]].copy()
        df["label"] = df["label"].map(to_code)
        frames.append(df)
    if not frames:
        raise FileNotFoundError(f"no CSV with columns content,label in {folder}")
    out = pd.concat(frames, ignore_index=True)
    out["content"] = out["content"].str.strip()
    out = out[out["content"] != ""]
    if dedupe:
        out = out.drop_duplicates("content", keep="first")
    return out.reset_index(drop=True)
