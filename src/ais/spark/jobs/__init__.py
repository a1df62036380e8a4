"""Spark batch and streaming jobs; each is a function of (JobContext, explicit window)."""
