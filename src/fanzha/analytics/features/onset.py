"""Onset and break per line: what the line did since its first record today, and how its window breaks
from its own earlier days.

Signs that need no volume (issue 21 §4): a slow, careful caller makes few calls, but it starts at some
hour of the day and its calls are unlike its own past; a bought old line has years of genuine traffic,
so absolute levels look ordinary while the shares move against its own baseline.

- "today" is the local (+08:00) day holding the window's last second, cut to the window;
- the baseline is the line's records in the ``BASE_DAYS`` days of whole 6-hour blocks (UTC-aligned,
  as the monitor's ``line_block`` history holds them) before the block holding the window's start, so
  the live monitor composes the same values from its history buckets.
"""

from __future__ import annotations

from fanzha.analytics.features.registry import feature
from fanzha.analytics.features.sql import Span, events, ratio
from fanzha.analytics.schema import CST_OFFSET_S

FAMILY = "onset"
BLOCK_S = 6 * 3600  # = stream.buckets.BLOCK_S (resold_card's block)
BASE_DAYS = 6  # inside the monitor's 8-day history, with the window and one block to spare
DAY = 86400


def _f(name, zh, en, fill=None, dtype=None):
    feature(name, FAMILY, "line", zh, en, fill, dtype)


_f("calls_out_today", "今日外呼次数", "outgoing calls since local midnight (within the window)", 0)
_f("hours_since_first_today", "今日首次活动至今小时数", "hours from the line's first call or SMS today to the end of the window")
_f("calls_out_per_hour_today", "今日每小时外呼", "outgoing calls today per hour since the first record today (at least one hour)")
_f("base_blocks", "基线活跃时段数", "6-hour blocks with records in the line's baseline (the 6 days before the window)", 0)
_f("base_out_share", "基线主叫占比", "share of the baseline's calls and SMS that are outgoing")
_f("out_share_break", "主叫占比突变", "outgoing share of the window's calls and SMS minus the line's baseline share")
_f("activity_break", "活跃度突变倍数", "records per 6 hours in the window over records per active 6-hour block in the baseline")


def today_lo(hi: int) -> int:
    """Start (epoch s) of the local day holding the second before ``hi``."""
    return ((hi - 1 + CST_OFFSET_S) // DAY) * DAY - CST_OFFSET_S


def base_span(lo: int) -> tuple[int, int]:
    """[start, end) of the baseline for a window starting at ``lo``: whole 6-hour blocks."""
    end = (lo // BLOCK_S) * BLOCK_S
    return end - BASE_DAYS * DAY, end


def ctes(*, span: Span, history: Span, night: tuple[int, int], tag: str) -> tuple[list[tuple[str, str]], str]:
    t_lo = max(span.lo, today_lo(span.hi))
    b_lo, b_hi = base_span(span.lo)
    tw, bw, win, out = (f"{x}_{tag}" for x in ("ont", "onb", "onw", "onset"))
    blocks_per_window = (span.hi - span.lo) / BLOCK_S
    parts = [
        (tw, f"""SELECT msisdn, COUNT(CASE WHEN kind = 'call' AND direction = 'out' THEN 1 END) AS calls_out_today,
                 MIN(ts) AS first_today FROM ({events(Span(t_lo, span.hi))}) e GROUP BY msisdn"""),
        (bw, f"""SELECT msisdn, COUNT(DISTINCT ts // {BLOCK_S}) AS blocks, COUNT(*) AS n,
                 COUNT(CASE WHEN direction = 'out' THEN 1 END) AS n_out
                 FROM ({events(Span(b_lo - 1, b_hi - 1))}) e GROUP BY msisdn"""),
        (win, f"""SELECT msisdn, COUNT(*) AS n, COUNT(CASE WHEN direction = 'out' THEN 1 END) AS n_out
                  FROM ({events(span)}) e GROUP BY msisdn"""),
        (out, onset_select(win, tw, bw, span.hi, blocks_per_window)),
    ]
    return parts, out


def onset_select(win: str, today: str, base: str, hi: int, blocks_per_window: float) -> str:
    """The family's columns from three msisdn-keyed relations: the window's records (n, n_out), today's
    (calls_out_today, first_today) and the baseline's (blocks, n, n_out). Shared with the monitor
    (stream.buckets), which composes the three from its buckets."""
    hours = f"(CAST({int(hi)} - t.first_today AS DOUBLE) / 3600)"
    return f"""SELECT w.msisdn, COALESCE(t.calls_out_today, 0) AS calls_out_today, {hours} AS hours_since_first_today,
        CAST(COALESCE(t.calls_out_today, 0) AS DOUBLE) / GREATEST({hours}, 1.0) AS calls_out_per_hour_today,
        COALESCE(b.blocks, 0) AS base_blocks, {ratio("b.n_out", "b.n")} AS base_out_share,
        {ratio("w.n_out", "w.n")} - {ratio("b.n_out", "b.n")} AS out_share_break,
        (CAST(w.n AS DOUBLE) / {float(blocks_per_window)}) / (CAST(b.n AS DOUBLE) / NULLIF(b.blocks, 0)) AS activity_break
    FROM {win} w LEFT JOIN {today} t ON t.msisdn = w.msisdn LEFT JOIN {base} b ON b.msisdn = w.msisdn"""
