"""Appeals (申诉) and re-verification (二次实名核验); outcomes become training labels (labels.csv)."""
