"""12321 public reports (举报): intake (API, bulk import), deduplication, linking to lines, fraud-type
classification, alerts for the operator's own lines, and the one-hour check SLA."""
