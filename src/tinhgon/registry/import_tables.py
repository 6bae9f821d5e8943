"""The record of every import: who, when, which files (and their hash), how many rows did what."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Table, Text

from tinhgon.registry.schema import metadata

import_record = Table(
    "import_record",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("files", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("inserted", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
)
