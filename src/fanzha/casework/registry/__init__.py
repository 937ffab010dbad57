"""Registry (号码/实名登记): persons, lines, shops, clerks and cells as the operator knows them."""
