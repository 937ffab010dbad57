"""`fanzha` command line (Typer). Each command family lives in its own module and registers here.

The train/detect/evaluate signatures are a stable contract (../shared/spec/data-contract.md).
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="fanzha",
    help="反诈 fanzha — telecom-fraud prevention for operators, police and market regulators.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

# Command modules attach themselves to `app`; the import order is the --help order.
from fanzha.cli import db_cmd  # noqa: E402,F401
from fanzha.cli import demo_cmd  # noqa: E402,F401
from fanzha.cli import analytics_cmd  # noqa: E402,F401
from fanzha.cli import sim_cmd  # noqa: E402,F401
from fanzha.cli import user_cmd  # noqa: E402,F401
from fanzha.cli import audit_cmd  # noqa: E402,F401
from fanzha.cli import serve_cmd  # noqa: E402,F401
from fanzha.cli import registry_cmd  # noqa: E402,F401
from fanzha.cli import reports_cmd  # noqa: E402,F401
from fanzha.cli import detect_cmd  # noqa: E402,F401
from fanzha.cli import trace_cmd  # noqa: E402,F401
from fanzha.cli import blacklist_cmd  # noqa: E402,F401
from fanzha.cli import casework_cmd  # noqa: E402,F401
from fanzha.cli import police_cmd  # noqa: E402,F401
from fanzha.cli import kpi_cmd  # noqa: E402,F401
from fanzha.cli import market_cmd  # noqa: E402,F401
from fanzha.cli import monitor_cmd  # noqa: E402,F401


def main() -> None:
    app()
