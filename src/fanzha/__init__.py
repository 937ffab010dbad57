"""fanzha (反诈): telecom-fraud prevention for operators, police and market regulators."""

__version__ = "0.1.0"
