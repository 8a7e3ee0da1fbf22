"""Benchmarks run by `voicebot bench`; results are committed under `bench/`."""
