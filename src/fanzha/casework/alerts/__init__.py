"""Alert inbox (告警): detector output, public reports and police notices in one table.

Other domains raise alerts with ``fanzha.casework.alerts.service.raise_alert`` (see its docstring).
"""
