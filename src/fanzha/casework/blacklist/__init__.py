"""Police blacklist (断卡 / 失信): five-year bans on opening new lines, one kept line, L2-approved manual entries."""
