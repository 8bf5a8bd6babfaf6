"""Benchmarks and the data generator behind `zabota seed`, `zabota demo` and `zabota bench`."""
