"""Tables of the coordination domain, on the registry's metadata: coordination rules (quy chế phối hợp)
with versions, signings and yearly evaluations; delegations of authority (ủy quyền); and the bodies a
unit has over time (mô hình chính quyền). Dated rows are half-open [valid_from, valid_to); NULL is open.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from tinhgon.registry.schema import metadata

coord_rule = Table(
    "coord_rule",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(60), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    # each party is a title (to_truong) or a body (ubnd); kinds: "title" | "body"
    Column("party_a_kind", String(10), nullable=False),
    Column("party_a", String(60), nullable=False),
    Column("party_b_kind", String(10), nullable=False),
    Column("party_b", String(60), nullable=False),
    Column("unit_level", String(20), nullable=False),          # the level of the units that sign
    Column("issuer_unit_id", Integer, ForeignKey("unit.id")),  # e.g. the ward whose UBND-UBMTTQ issue it
    Column("created_at", DateTime, nullable=False),
    CheckConstraint("party_a_kind IN ('title', 'body') AND party_b_kind IN ('title', 'body')", name="party_kind"),
)

coord_rule_version = Table(
    "coord_rule_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("rule_id", Integer, ForeignKey("coord_rule.id", ondelete="CASCADE"), nullable=False),
    Column("version_no", Integer, nullable=False),
    Column("adopted_on", Date, nullable=False),
    Column("duties", Text, nullable=False),  # JSON list of text items
    Column("doc_number", String(100)),
    Column("note", Text),
    UniqueConstraint("rule_id", "version_no", name="uq_coord_rule_version_no"),
)
Index("ix_coord_rule_version_rule", coord_rule_version.c.rule_id)

coord_signing = Table(
    "coord_signing",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("rule_id", Integer, ForeignKey("coord_rule.id", ondelete="CASCADE"), nullable=False),
    Column("version_id", Integer, ForeignKey("coord_rule_version.id"), nullable=False),
    Column("unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("signed_on", Date, nullable=False),
    Column("note", Text),
    UniqueConstraint("version_id", "unit_id", name="uq_coord_signing_version_unit"),
)
Index("ix_coord_signing_unit", coord_signing.c.unit_id)
Index("ix_coord_signing_rule", coord_signing.c.rule_id)

coord_signatory = Table(
    "coord_signatory",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("signing_id", Integer, ForeignKey("coord_signing.id", ondelete="CASCADE"), nullable=False),
    Column("party", String(1), nullable=False),  # "a" | "b"
    Column("title_code", String(60), nullable=False),
    Column("person_id", Integer, ForeignKey("person.id"), nullable=False),
    Column("holding_id", Integer, ForeignKey("title_holding.id")),
    CheckConstraint("party IN ('a', 'b')", name="party"),
)
Index("ix_coord_signatory_signing", coord_signatory.c.signing_id)

coord_evaluation = Table(
    "coord_evaluation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("rule_id", Integer, ForeignKey("coord_rule.id", ondelete="CASCADE"), nullable=False),
    Column("unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("evaluated_on", Date, nullable=False),
    Column("version_id", Integer, ForeignKey("coord_rule_version.id"), nullable=False),
    Column("rating", String(20), nullable=False),
    Column("comment", Text),
    UniqueConstraint("rule_id", "unit_id", "year", name="uq_coord_evaluation_unit_year"),
)
Index("ix_coord_evaluation_rule", coord_evaluation.c.rule_id)

coord_evaluation_score = Table(
    "coord_evaluation_score",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("evaluation_id", Integer, ForeignKey("coord_evaluation.id", ondelete="CASCADE"), nullable=False),
    Column("criterion", String(300), nullable=False),
    Column("score", Float, nullable=False),
    Column("max_score", Float, nullable=False),
    Column("comment", Text),
    CheckConstraint("score >= 0 AND max_score > 0 AND score <= max_score", name="score_range"),
)
Index("ix_coord_evaluation_score_evaluation", coord_evaluation_score.c.evaluation_id)

delegation = Table(
    "delegation",
    metadata,
    Column("id", Integer, primary_key=True),
    # the grantor: the person who held GRANTOR_TITLE in GRANTOR_UNIT when granting; the delegation
    # counts only while that person still holds that title there
    Column("grantor_title", String(60), nullable=False),
    Column("grantor_unit_id", Integer, ForeignKey("unit.id"), nullable=False),
    Column("grantor_person_id", Integer, ForeignKey("person.id"), nullable=False),
    # the grantee: a person, or whoever holds a title in a unit
    Column("grantee_person_id", Integer, ForeignKey("person.id")),
    Column("grantee_title", String(60)),
    Column("grantee_unit_id", Integer, ForeignKey("unit.id")),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    Column("planned_to", Date),  # the end written in the decision; valid_to is moved earlier by a revocation
    Column("doc_number", String(100)),
    Column("doc_date", Date),
    Column("issuer", String(200)),
    Column("note", Text),
    Column("revoked_on", Date),
    Column("revoke_doc", String(100)),
    Column("revoke_reason", Text),
    Column("created_at", DateTime, nullable=False),
    CheckConstraint("valid_to IS NULL OR valid_from < valid_to", name="period"),
    CheckConstraint("grantee_person_id IS NOT NULL OR grantee_title IS NOT NULL", name="grantee"),
)
Index("ix_delegation_grantor_unit", delegation.c.grantor_unit_id)
Index("ix_delegation_grantee_person", delegation.c.grantee_person_id)

delegation_act = Table(
    "delegation_act",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("delegation_id", Integer, ForeignKey("delegation.id", ondelete="CASCADE"), nullable=False),
    Column("act_code", String(60), nullable=False),
    UniqueConstraint("delegation_id", "act_code", name="uq_delegation_act_pair"),
)
Index("ix_delegation_act_delegation", delegation_act.c.delegation_id)

governance_body = Table(
    "governance_body",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("unit_id", Integer, ForeignKey("unit.id", ondelete="CASCADE"), nullable=False),
    Column("body", String(20), nullable=False),       # hdnd | ubnd | ubmttq | dang_uy
    Column("present", Boolean, nullable=False),       # False: the body is not organised in this period
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("doc_number", String(200)),
    Column("issuer", String(200)),
    Column("tag", String(5)),                          # C, C-2, M (RULES.md)
    Column("source", String(60), nullable=False),      # e.g. "hanoi-urban-pilot" for computed rows
    Column("note", Text),
    CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_from < valid_to", name="period"),
)
Index("ix_governance_body_unit", governance_body.c.unit_id)
# one row per period start: two first uses at once (two web workers) cannot write the pilot twice
Index("uq_governance_body_period", governance_body.c.unit_id, governance_body.c.body, governance_body.c.source,
      governance_body.c.valid_from, unique=True)


def new_id(result: Any) -> int:
    """The primary key of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every table here has an integer primary key
        raise RuntimeError("INSERT returned no primary key")
    return int(key[0])
