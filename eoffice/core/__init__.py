"""Shared foundations: database base, unit of work, errors, permissions, file storage."""
