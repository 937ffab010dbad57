"""市场监管 Market-regulation desk: tips about elderly-care fraud (public page, officer form, bulk import),
triage, phone numbers linked to lines and alerts, statistics with charts and export, consumer warnings."""
