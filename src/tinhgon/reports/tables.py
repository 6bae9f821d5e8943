"""Opinions heard at review meetings (ý kiến đóng góp), recorded so the report can quote them."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text

from tinhgon.registry.schema import metadata

meeting_opinion = Table(
    "meeting_opinion",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("unit_id", Integer, ForeignKey("unit.id"), nullable=False),   # the unit that held the meeting
    Column("meeting_date", Date, nullable=False),
    Column("speaker_role", String(200), nullable=False),                # a role, never a private person's data
    Column("topic", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("to_higher_level", Boolean, nullable=False, default=False),  # a recommendation to the level above
)
Index("ix_meeting_opinion_unit_date", meeting_opinion.c.unit_id, meeting_opinion.c.meeting_date)
