"""AIS: the Atmospheric Intelligence System (PM2.5 data platform for Hanoi)."""

__version__ = "0.1.0"
