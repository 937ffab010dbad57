"""Live analytics for the 24×7 monitor: hourly partial aggregates kept as state, windows composed from them.

- :mod:`.buckets` — pure SQL: a batch of stored records → bucket fragments; buckets → the 24 h line
  features the detectors score (same names and meanings as :mod:`fanzha.analytics.features`).
- :mod:`.state` — the state store (one DuckDB file): buckets, watermark, dirty lines, applied parts.
- :mod:`.score` — the registered detectors run on a context filled from the buckets.
- :mod:`.drop` — the drop folder: claiming files, moving a rejected file aside with a report.

Nothing here imports the casework half; :mod:`fanzha.monitor` joins the two.
"""
