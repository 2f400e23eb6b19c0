"""Benchmarks: each prints its figures against a baseline measured in the same run.
Run one as `python -m bench.NAME` from the checkout (`./run bench` runs them all)."""
