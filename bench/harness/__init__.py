"""Moat's benchmark harness: host, runc, runsc and moat side by side (issue 4).

Entry point: ``bench/run``.  See bench/README.md for what is measured and how.
"""
