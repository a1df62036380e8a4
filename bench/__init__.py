"""Benchmarks: `make bench` prints one JSON document with every figure and its same-run baseline."""
