"""Append-only, hash-chained event log."""
