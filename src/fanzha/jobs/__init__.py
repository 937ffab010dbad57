"""Long jobs started from pages (report generation, imports): a job row with progress, polled by the page."""
