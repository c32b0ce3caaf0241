"""Benchmarks for Lumbar: updates, nudge fan-out, scale and pictures (see bench/README.md)."""
