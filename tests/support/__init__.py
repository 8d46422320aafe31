"""Test helpers that make data (rendered ID cards) for the worker, CLI and bench suites."""
