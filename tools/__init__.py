"""Operator and client tools shipped with the store (run as `python -m tools.<name>`)."""
