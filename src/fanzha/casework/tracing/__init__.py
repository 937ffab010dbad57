"""溯源分析: trace runs over the association graph, cases opened from them, traceability reports (溯源报告)."""
