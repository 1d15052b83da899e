"""Benchmarks: `python -m bench.<name>` measures one part of the portal against a baseline."""
