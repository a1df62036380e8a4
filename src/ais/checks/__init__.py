"""Serving checks (CONTRACTS.md §5 ``check_pm25_serving``, seed 001 §16): ``ais check --check NAME``."""
