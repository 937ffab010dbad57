"""督导 Supervision: KPIs computed from the database, the panel registry and the role dashboards."""
