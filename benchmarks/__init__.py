"""aiotrain's benchmark suite: ``python -m benchmarks`` writes docs/benchmarks.md."""
