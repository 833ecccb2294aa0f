"""Benchmarks of newretail: run as modules (``python -m benchmarks.<name>``), not as tests."""
