"""Benchmark harness: the synthetic clip suite, the runs against baselines, reports, and speed."""
