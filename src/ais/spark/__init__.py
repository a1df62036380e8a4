"""Spark: the one session builder and the batch and streaming jobs."""
