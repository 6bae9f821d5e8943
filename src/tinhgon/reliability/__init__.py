"""Reliability and personal-data protection: the change log, read/export log, backup and restore."""
