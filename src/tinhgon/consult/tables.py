"""Tables of household consultations and group-head elections (on the registry's metadata).

Integrity lives in the database, not only in the service:

* ``ballot`` keeps every version of every entry. ``UNIQUE (round_id, roll_entry_id, version)`` makes the
  first entry of a household in a round unique (version 1), so two officials entering the same paper
  at the same moment get one row stored and one constraint error; a correction is version n + 1.
* ``is_current`` marks the version that counts, maintained in the same transaction as the correction,
  with a partial unique index (one current version per household and round) and a partial covering
  index for the tally: ``GROUP BY unit_id, choice`` over the current rows only.
* ``consultation_round_unit`` holds the figures frozen when a round closes (the minutes read them).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from tinhgon.registry.schema import metadata

official = Table(
    "official",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("full_name", String(200)),
    # the unit whose households this official may enter ballots for (itself and everything under it);
    # NULL only for role 'admin'
    Column("scope_unit_id", Integer, ForeignKey("unit.id")),
    Column("role", String(20), nullable=False, default="counter"),
    Column("active", Boolean, nullable=False, default=True),
    CheckConstraint("role IN ('counter', 'supervisor', 'admin')", name="role"),
    CheckConstraint("scope_unit_id IS NOT NULL OR role = 'admin'", name="scope"),
)

consultation = Table(
    "consultation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),             # merger | election
    Column("plan_id", Integer, ForeignKey("plan.id")),
    Column("level", String(20), nullable=False),            # level of the units consulted
    Column("held_on", Date, nullable=False),
    Column("roll_kind", String(20), nullable=False),        # households | voters
    # the approval rule as it stood on held_on, copied so that a later pack never changes a result
    Column("rule_id", String(120), nullable=False),
    Column("rule_citation", Text, nullable=False),
    Column("rule_tag", String(10), nullable=False),
    Column("rule_basis", String(60), nullable=False),
    Column("rule_threshold", String(20), nullable=False),   # decimal as text: never a float
    Column("rule_comparison", String(2), nullable=False),
    Column("rule_each_unit", Boolean, nullable=False),
    Column("rule_max_rounds", Integer, nullable=False),
    Column("rule_summary", Text),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(100)),
    CheckConstraint("kind IN ('merger', 'election')", name="kind"),
    CheckConstraint("roll_kind IN ('households', 'voters')", name="roll_kind"),
    CheckConstraint("rule_comparison IN ('>', '>=')", name="comparison"),
)

consultation_unit = Table(
    "consultation_unit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("consultation_id", Integer, ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False),
    Column("unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("group_label", String(60)),                      # the plan group (merger) it belongs to
    Column("roll_size", Integer, nullable=False, default=0),  # frozen with the roll: the denominator
    UniqueConstraint("consultation_id", "unit_id", name="uq_consultation_unit_unit"),
)

roll_entry = Table(
    "roll_entry",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("consultation_id", Integer, ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False),
    Column("unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("voter_code", String(60), nullable=False),       # household code, or the voter's code
    Column("household_id", Integer, ForeignKey("household.id")),
    Column("person_id", Integer, ForeignKey("person.id")),  # the head (representative) or the voter
    Column("display_name", String(200)),
    Column("name_key", String(200)),                        # no accents, lower case: for search
    UniqueConstraint("consultation_id", "voter_code", name="uq_roll_entry_code"),
)
Index("ix_roll_entry_unit", roll_entry.c.consultation_id, roll_entry.c.unit_id)
Index("ix_roll_entry_name", roll_entry.c.consultation_id, roll_entry.c.name_key)

consultation_round = Table(
    "consultation_round",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("consultation_id", Integer, ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("status", String(10), nullable=False, default="open"),
    Column("opened_at", DateTime, nullable=False),
    Column("opened_by", String(100)),
    Column("closed_at", DateTime),
    Column("closed_by", String(100)),
    Column("entries", Integer, nullable=False, default=0),  # bumped by every entry: the round's write lock
    UniqueConstraint("consultation_id", "number", name="uq_consultation_round_number"),
    CheckConstraint("number IN (1, 2)", name="number"),
    CheckConstraint("status IN ('open', 'closed')", name="status"),
)

consultation_round_unit = Table(
    "consultation_round_unit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", Integer, ForeignKey("consultation_round.id", ondelete="CASCADE"), nullable=False),
    Column("unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("declared_ballots", Integer),                    # paper ballots counted by hand, if declared
    # frozen at close
    Column("roll_size", Integer),
    Column("agree", Integer),
    Column("disagree", Integer),
    Column("invalid", Integer),
    Column("decision", String(10)),                         # approved | rejected (pending while open)
    Column("winner_candidate_id", Integer),
    UniqueConstraint("round_id", "unit_id", name="uq_consultation_round_unit_unit"),
)

candidate = Table(
    "candidate",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("consultation_id", Integer, ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False),
    Column("person_id", Integer, ForeignKey("person.id"), nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("round_id", Integer, ForeignKey("consultation_round.id")),  # NULL: every round
    UniqueConstraint("consultation_id", "person_id", name="uq_candidate_person"),
)

ballot = Table(
    "ballot",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", Integer, ForeignKey("consultation_round.id", ondelete="CASCADE"), nullable=False),
    Column("roll_entry_id", Integer, ForeignKey("roll_entry.id", ondelete="CASCADE"), nullable=False),
    Column("unit_id", Integer, nullable=False),             # copied from the roll: the tally needs no join
    Column("version", Integer, nullable=False, default=1),
    Column("is_current", Boolean, nullable=False, default=True),
    Column("choice", String(10), nullable=False),
    Column("candidate_id", Integer, ForeignKey("candidate.id")),
    Column("reason", Text),                                 # why a correction was made
    Column("entered_by", String(100), nullable=False),
    Column("official_id", Integer, ForeignKey("official.id")),
    Column("entered_at", DateTime, nullable=False),
    Column("source", String(10), nullable=False),           # single | sheet | correction
    Column("batch", String(300)),                           # the file a sheet came from
    UniqueConstraint("round_id", "roll_entry_id", "version", name="uq_ballot_once"),
    CheckConstraint("choice IN ('agree', 'disagree', 'invalid', 'withdrawn', 'vote')", name="choice"),
    CheckConstraint("version >= 1", name="version"),
    CheckConstraint("version = 1 OR reason IS NOT NULL", name="reason"),
)
# one counting version per household and round
Index("uq_ballot_current", ballot.c.round_id, ballot.c.roll_entry_id, unique=True,
      sqlite_where=text("is_current = 1"), postgresql_where=text("is_current"))
# the tally reads this index only (covering: every column the GROUP BY needs)
Index("ix_ballot_tally", ballot.c.round_id, ballot.c.is_current, ballot.c.unit_id, ballot.c.choice,
      ballot.c.candidate_id)
