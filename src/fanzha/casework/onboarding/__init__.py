"""入网关口 — the counter gate: risk checks before a line is opened, the clerk's checklist, the signed notice."""
